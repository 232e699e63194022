import Alert from '@material-ui/lab/Alert';
import { describeError } from './errors';

/** A failed action, in the backend's words, right where the user acted. */
export const ErrorAlert = ({ error }: { error?: Error }) =>
  error ? (
    <Alert severity="error" role="alert">
      {describeError(error)}
    </Alert>
  ) : null;
