import { ResponseErrorPanel } from '@backstage/core-components';
import Alert from '@material-ui/lab/Alert';
import { describeError, statusCodeOf } from './errors';

/**
 * Why something could not be loaded. A refusal (403) is not a fault: it says, in the
 * backend's words, who may see this.
 */
export const LoadError = ({ error }: { error: Error }) =>
  statusCodeOf(error) === 403 ? (
    <Alert severity="info">{describeError(error)}</Alert>
  ) : (
    <ResponseErrorPanel error={error} />
  );
