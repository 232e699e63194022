import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { EntityRefText } from './EntityRefText';
import { describeError, statusCodeOf } from './errors';

export interface LoadErrorProps {
  error: Error;
  /** What could not be loaded, e.g. "the notification types". */
  what: string;
  /** Loads it again; offered as "Try again" unless the backend refused (403). */
  onRetry?: () => void;
}

/**
 * Why something could not be loaded, in the backend's words, with a way to try again. A
 * refusal (403) is not a fault: it says who may see this, and retrying would not help.
 */
export const LoadError = ({ error, what, onRetry }: LoadErrorProps) => {
  if (statusCodeOf(error) === 403) {
    return (
      <Alert severity="info">
        <EntityRefText text={describeError(error)} />
      </Alert>
    );
  }
  return (
    <Alert
      severity="error"
      action={
        onRetry && (
          <Button color="inherit" size="small" onClick={onRetry}>
            Try again
          </Button>
        )
      }
    >
      <AlertTitle>Could not load {what}</AlertTitle>
      <EntityRefText text={describeLoadFailure(error)} />
    </Alert>
  );
};

/** The backend's reason, or what a failure to reach the backend at all means for the user. */
function describeLoadFailure(error: Error): string {
  const status = statusCodeOf(error);
  if (status === 502 || status === 503 || status === 504) {
    return `The BROM backend is not answering right now (${describeError(
      error,
    )}). Try again in a moment.`;
  }
  if (error.name === 'TypeError') {
    return `The BROM backend could not be reached (${error.message}). Check your connection and try again.`;
  }
  return describeError(error);
}
