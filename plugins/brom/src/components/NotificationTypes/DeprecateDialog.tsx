import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { NotificationType } from '@internal/plugin-brom-common';
import { useId, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import {
  dateInputDaysAhead,
  formatDate,
  sunsetFromDateInput,
} from '../common/deprecation';

export interface DeprecateDialogProps {
  type: NotificationType;
  /** The producer's other types: a current one may be named the successor. */
  siblings: NotificationType[];
  onClose: () => void;
  onSaved: (type: NotificationType) => void;
}

/**
 * Deprecates a type with a sunset date and an optional successor; on a deprecated type,
 * moves the sunset later.
 */
export const DeprecateDialog = ({
  type,
  siblings,
  onClose,
  onSaved,
}: DeprecateDialogProps) => {
  const api = useApi(bromApiRef);
  const extending = Boolean(type.deprecation);
  const [date, setDate] = useState(
    type.deprecation
      ? new Date(Date.parse(type.deprecation.sunsetAt) + 30 * 24 * 3600 * 1000)
          .toISOString()
          .slice(0, 10)
      : dateInputDaysAhead(90),
  );
  const [successor, setSuccessor] = useState(type.deprecation?.successor ?? '');
  const [dateError, setDateError] = useState<string>();
  const candidates = siblings.filter(
    s => s.name !== type.name && !s.deprecation && !s.deletedAt,
  );

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const sunsetAt = sunsetFromDateInput(date);
    if (!sunsetAt) {
      setDateError('Choose the date on which the remaining subscriptions end');
      return;
    }
    onSaved(
      await api.deprecateNotificationType(type.application, type.name, {
        generation: type.generation,
        sunsetAt,
        successor: successor || null,
      }),
    );
  }, [api, type, date, successor, onSaved]);

  const titleId = useId();
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>
        {extending
          ? `Extend the sunset of ${type.name}`
          : `Deprecate ${type.name}`}
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          {extending
            ? `Subscriptions to ${type.name} end on ${formatDate(
                type.deprecation!.sunsetAt,
              )}. A later date gives its subscribers more time to move; they are told.`
            : `New subscription requests are refused from now on. Subscribers are told and see the date on their application; on that date their subscriptions end and their bindings are removed.`}
        </DialogContentText>
        <TextField
          id="brom-deprecate-sunset"
          label="Sunset date"
          type="date"
          value={date}
          onChange={e => {
            setDate(e.target.value);
            setDateError(undefined);
          }}
          error={Boolean(dateError)}
          helperText={
            dateError ??
            'Subscriptions end at the end of this day (UTC). The portal sets how far ahead it must be.'
          }
          InputLabelProps={{ shrink: true }}
          fullWidth
          margin="normal"
        />
        <TextField
          select
          SelectProps={{ native: true }}
          id="brom-deprecate-successor"
          label="Successor"
          value={successor}
          onChange={e => setSuccessor(e.target.value)}
          helperText="The type subscribers should move to; new requests are pointed to it"
          fullWidth
          margin="normal"
        >
          <option value="">No successor</option>
          {candidates.map(c => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </TextField>
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          disabled={loading}
          onClick={() => submit()}
        >
          {extending ? 'Extend' : 'Deprecate'}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
