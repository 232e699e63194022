import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
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
import { focusOnOpen } from '../common/focusOnOpen';

const UNITS = [
  { label: 'minutes', seconds: 60 },
  { label: 'hours', seconds: 3600 },
  { label: 'days', seconds: 24 * 3600 },
];

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
  const [amount, setAmount] = useState('1');
  const [unitSeconds, setUnitSeconds] = useState(3600);
  // Checked as the backend checks it while typing, so a disabled Rotate says why.
  const parsed = rotateCredentialRequestSchema.safeParse({
    overlapSeconds: Math.round(Number(amount) * unitSeconds),
  });
  let overlapProblem: string | undefined;
  if (amount.trim() === '' || Number.isNaN(Number(amount))) {
    overlapProblem = 'must be a number';
  } else if (!parsed.success) {
    overlapProblem =
      Number(amount) < 0 ? 'must not be negative' : 'must be at most 30 days';
  }

  const [{ loading, error }, rotate] = useAsyncFn(async () => {
    if (parsed.success) {
      onRotated(await api.rotateCredential(application, parsed.data));
    }
  }, [api, application, parsed, onRotated]);

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
        <Box display="flex" style={{ gap: 16 }}>
          <TextField
            id="brom-rotate-overlap"
            label="Overlap"
            inputRef={focusOnOpen}
            type="number"
            inputProps={{ min: 0 }}
            value={amount}
            onChange={e => setAmount(e.target.value)}
            error={Boolean(overlapProblem)}
            helperText={
              overlapProblem ??
              'How long the current credentials keep working (at most 30 days)'
            }
            margin="normal"
          />
          <TextField
            select
            SelectProps={{ native: true }}
            id="brom-rotate-overlap-unit"
            label="Unit"
            value={unitSeconds}
            onChange={e => setUnitSeconds(Number(e.target.value))}
            margin="normal"
          >
            {UNITS.map(unit => (
              <option key={unit.label} value={unit.seconds}>
                {unit.label}
              </option>
            ))}
          </TextField>
        </Box>
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading || Boolean(overlapProblem)}
          onClick={() => rotate()}
        >
          Rotate
        </Button>
      </DialogActions>
    </Dialog>
  );
};
