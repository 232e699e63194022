import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import {
  Application,
  MAX_LENGTH_BOUNDS,
  MESSAGE_TTL_MS_BOUNDS,
} from '@internal/plugin-brom-common';
import { useId, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';

const TTL_SECONDS = {
  min: MESSAGE_TTL_MS_BOUNDS.min / 1000,
  max: MESSAGE_TTL_MS_BOUNDS.max / 1000,
};

/** The problem with a field's text, or undefined; empty means no limit. */
export function boundProblem(
  text: string,
  bounds: { min: number; max: number },
): string | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) return 'A whole number, or empty for no limit';
  if (value < bounds.min || value > bounds.max) {
    return `Between ${bounds.min.toLocaleString('en')} and ${bounds.max.toLocaleString('en')}, or empty for no limit`;
  }
  return undefined;
}

/** Edits the queue's message TTL and length limit, within the bounds the API enforces. */
export const QueueSettingsDialog = ({
  application,
  onClose,
  onSaved,
}: {
  application: Application;
  onClose: () => void;
  onSaved: (application: Application) => void;
}) => {
  const api = useApi(bromApiRef);
  const titleId = useId();
  const { messageTtlMs, maxLength } = application.settings;
  const [ttl, setTtl] = useState(
    messageTtlMs === null ? '' : String(Math.round(messageTtlMs / 1000)),
  );
  const [length, setLength] = useState(
    maxLength === null ? '' : String(maxLength),
  );
  const ttlProblem = boundProblem(ttl, TTL_SECONDS);
  const lengthProblem = boundProblem(length, MAX_LENGTH_BOUNDS);
  const [{ loading, error }, save] = useAsyncFn(async () => {
    const saved = await api.updateApplication(application.name, {
      generation: application.generation,
      settings: {
        messageTtlMs: ttl.trim() === '' ? null : Number(ttl) * 1000,
        maxLength: length.trim() === '' ? null : Number(length),
      },
    });
    onSaved(saved);
  }, [api, application, ttl, length, onSaved]);
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} fullWidth maxWidth="sm">
      <DialogTitle id={titleId}>Queue settings</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Messages older than the TTL, and the oldest ones beyond the length
          limit, move to the dead-letter queue.
        </DialogContentText>
        <TextField
          id={`${titleId}-ttl`}
          label="Message TTL (seconds)"
          value={ttl}
          onChange={event => setTtl(event.target.value)}
          error={!!ttlProblem}
          helperText={ttlProblem ?? 'Empty for no TTL; at most a year'}
          inputProps={{ inputMode: 'numeric' }}
          fullWidth
          margin="normal"
        />
        <TextField
          id={`${titleId}-length`}
          label="Maximum length (messages)"
          value={length}
          onChange={event => setLength(event.target.value)}
          error={!!lengthProblem}
          helperText={lengthProblem ?? 'Empty for no limit'}
          inputProps={{ inputMode: 'numeric' }}
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
          disabled={loading || !!ttlProblem || !!lengthProblem}
          onClick={() => save()}
        >
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
};
