import {
  EmptyState,
  InfoCard,
  Progress,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Application,
  bromQueueHealthReadPermission,
  QueueHealth,
} from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { LoadError } from '../common/LoadError';
import { formatTime } from '../common/time';

const perSecond = (rate: number) => `${rate.toFixed(rate < 10 ? 1 : 0)}/s`;

const QueueFigures = ({ queue }: { queue: QueueHealth }) => (
  <StructuredMetadataTable
    dense
    metadata={{
      Ready: queue.messagesReady,
      Unacknowledged: queue.messagesUnacknowledged,
      Consumers: queue.consumers,
      'Publish rate': perSecond(queue.publishRate),
      'Deliver rate': perSecond(queue.deliverRate),
      'Ack rate': perSecond(queue.ackRate),
      'Last delivery': queue.lastDeliveryAt
        ? formatTime(queue.lastDeliveryAt)
        : 'None seen yet',
    }}
  />
);

/**
 * The application's queues and exchange as the broker's statistics see them, for its owners
 * and BROM administrators: counts, rates, dead letters and warnings.
 */
export const QueueHealthCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const permission = usePermission({
    permission: bromQueueHealthReadPermission,
    resourceRef: application.name,
  });
  const health = useAsyncRetry(
    async () =>
      permission.allowed && !permission.loading
        ? api.getApplicationHealth(application.name)
        : undefined,
    [api, application.name, permission.allowed, permission.loading],
  );
  const refresh = (
    <Button
      size="small"
      onClick={health.retry}
      disabled={health.loading || !permission.allowed}
    >
      Refresh health
    </Button>
  );
  const title = 'Queue health';
  if (permission.loading) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  if (!permission.allowed) {
    return (
      <InfoCard title={title}>
        <Alert severity="info">
          Queue health is shown to the owners of {application.name} and BROM
          administrators.
        </Alert>
      </InfoCard>
    );
  }
  if (health.error) {
    return (
      <InfoCard title={title}>
        <LoadError
          error={health.error}
          what="the queue health"
          onRetry={health.retry}
        />
      </InfoCard>
    );
  }
  if (!health.value) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  const { queue, deadLetterQueue, exchange, warnings, observedAt } =
    health.value;
  return (
    <InfoCard
      title={title}
      subheader={`Broker statistics of ${formatTime(observedAt)}`}
      action={refresh}
    >
      {warnings.map(warning => (
        <Box mb={1} key={warning.code}>
          <Alert severity="warning">{warning.message}</Alert>
        </Box>
      ))}
      {!queue && !deadLetterQueue && !exchange ? (
        <EmptyState
          missing="data"
          title="No queue or exchange on the broker yet"
          description="They appear once the application publishes a notification type or has a subscription, and the broker has them."
        />
      ) : (
        <Grid container spacing={2}>
          {queue && (
            <Grid item xs={12} md={4}>
              <Typography variant="subtitle2">Queue {queue.name}</Typography>
              <QueueFigures queue={queue} />
            </Grid>
          )}
          {deadLetterQueue && (
            <Grid item xs={12} md={4}>
              <Typography variant="subtitle2">
                Dead-letter queue {deadLetterQueue.name}
              </Typography>
              <StructuredMetadataTable
                dense
                metadata={{
                  'Dead-lettered messages': deadLetterQueue.messagesReady,
                  'Arriving at': perSecond(deadLetterQueue.publishRate),
                }}
              />
            </Grid>
          )}
          {exchange && (
            <Grid item xs={12} md={4}>
              <Typography variant="subtitle2">
                Exchange {exchange.name}
              </Typography>
              <StructuredMetadataTable
                dense
                metadata={{
                  'Publish rate': perSecond(exchange.publishRate),
                  'Unroutable rate': perSecond(exchange.unroutableRate),
                }}
              />
            </Grid>
          )}
        </Grid>
      )}
    </InfoCard>
  );
};
