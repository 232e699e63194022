import Alert from '@material-ui/lab/Alert';
import { EntityRefText } from './EntityRefText';
import { describeError } from './errors';

/** A failed action, in the backend's words, right where the user acted. */
export const ErrorAlert = ({ error }: { error?: Error }) =>
  error ? (
    <Alert severity="error" role="alert">
      <EntityRefText text={describeError(error)} />
    </Alert>
  ) : null;
