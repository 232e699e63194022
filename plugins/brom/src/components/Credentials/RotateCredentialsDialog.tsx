import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import {
  IssuedCredential,
  rotateCredentialRequestSchema,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { fieldErrorsOf } from '../common/validation';

export interface RotateCredentialsDialogProps {
  application: string;
  onClose: () => void;
  onRotated: (issued: IssuedCredential) => void;
}

/** Issues a new credential and lets the current ones expire after an overlap. */
export const RotateCredentialsDialog = ({
  application,
  onClose,
  onRotated,
}: RotateCredentialsDialogProps) => {
  const api = useApi(bromApiRef);
  const [overlap, setOverlap] = useState('3600');
  const [overlapError, setOverlapError] = useState<string>();

  const [{ loading, error }, rotate] = useAsyncFn(async () => {
    const parsed = rotateCredentialRequestSchema.safeParse({
      overlapSeconds: Number(overlap),
    });
    if (!parsed.success || overlap.trim() === '') {
      setOverlapError(
        parsed.success
          ? 'must be a number of seconds'
          : fieldErrorsOf(parsed.error).overlapSeconds,
      );
      return;
    }
    onRotated(await api.rotateCredential(application, parsed.data));
  }, [api, application, overlap, onRotated]);

  const titleId = 'brom-rotate-credentials-title';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>Rotate credentials</DialogTitle>
      <DialogContent>
        <DialogContentText>
          A new credential is issued now. The current ones keep working for the
          overlap, so you can deploy the new secret without a gap; then they
          expire.
        </DialogContentText>
        <TextField
          id="brom-rotate-overlap"
          label="Overlap (seconds)"
          type="number"
          value={overlap}
          onChange={e => {
            setOverlap(e.target.value);
            setOverlapError(undefined);
          }}
          error={Boolean(overlapError)}
          helperText={
            overlapError ??
            'How long the current credentials keep working (at most 30 days)'
          }
          fullWidth
          margin="normal"
        />
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading}
          onClick={() => rotate()}
        >
          Rotate
        </Button>
      </DialogActions>
    </Dialog>
  );
};
