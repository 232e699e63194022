import { EmptyState, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import Grid from '@material-ui/core/Grid';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { rootRouteRef } from '../../routes';
import { describeError, statusCodeOf } from '../common/errors';
import { LoadError } from '../common/LoadError';
import { StatusPanel } from '../ApplicationStatus';
import { AuditHistory } from '../AuditHistory';
import { ConnectionCard } from '../Connection';
import { QueueHealthCard } from '../QueueHealth';
import { DeadLettersCard } from '../DeadLetters';
import { CredentialsCard } from '../Credentials';
import { NotificationTypesCard } from '../NotificationTypes';
import { ConsumerSubscriptionsCard, SubscribersCard } from '../Subscriptions';
import { ApplicationSummaryCard } from './ApplicationSummaryCard';
import { DeprecationBanner } from './DeprecationBanner';
import { useBromSignal } from '../common/useBromSignal';

/**
 * Everything about one application: what it publishes, what it receives, who receives its
 * notifications, its credentials, its broker status and its history.
 */
export const ApplicationView = ({ name }: { name: string }) => {
  const api = useApi(bromApiRef);
  const {
    value: application,
    loading,
    error,
    retry,
  } = useAsyncRetry(() => api.getApplication(name), [api, name]);
  useBromSignal(retry, { kind: 'change', typePrefix: 'application.', application: name });
  const rootLink = useRouteRef(rootRouteRef);
  if (loading && !application) return <Progress />;
  if (error && statusCodeOf(error) === 404) {
    return (
      <EmptyState
        missing="info"
        title={`No application called “${name}”`}
        description={`${describeError(
          error,
        )}. It may have been deleted, or the address may be mistyped.`}
        action={<Link to={`${rootLink()}/mine`}>Back to my applications</Link>}
      />
    );
  }
  if (error) {
    return (
      <LoadError error={error} what={`application ${name}`} onRetry={retry} />
    );
  }
  if (!application) return null;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <DeprecationBanner application={application} />
      </Grid>
      <Grid item xs={12} md={5}>
        <ApplicationSummaryCard application={application} onChange={retry} />
      </Grid>
      <Grid item xs={12} md={7}>
        <StatusPanel application={application} onApplicationChange={retry} />
      </Grid>
      <Grid item xs={12}>
        <NotificationTypesCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <SubscribersCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <ConsumerSubscriptionsCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <ConnectionCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <QueueHealthCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <DeadLettersCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <CredentialsCard application={application} />
      </Grid>
      <Grid item xs={12}>
        <AuditHistory application={application.name} />
      </Grid>
    </Grid>
  );
};
