import {
  EmptyState,
  InfoCard,
  Progress,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Application,
  bromDeadLettersManagePermission,
  DeadLetterMessage,
} from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { ListCardTable } from '../common/ListCardTable';
import { LoadError } from '../common/LoadError';
import { PermittedButton } from '../common/PermittedButton';
import { formatTime } from '../common/time';

/** How many messages a peek shows. */
const PEEK_COUNT = 10;

type Row = DeadLetterMessage & { id: number };

const Code = ({ children }: { children: string }) => (
  <Box
    component="code"
    style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
  >
    {children}
  </Box>
);

function describeProperties(message: DeadLetterMessage): string {
  const entries = Object.entries({ ...message.properties, ...message.headers });
  if (entries.length === 0) return '—';
  return entries.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n');
}

const COLUMNS: TableColumn<Row>[] = [
  {
    title: 'Reason',
    render: m =>
      m.deaths.length === 0 ? (
        '—'
      ) : (
        <>
          {m.deaths[0].reason} from {m.deaths[0].queue}
          {m.deaths[0].count > 1 ? ` (${m.deaths[0].count} times)` : ''}
          {m.deaths[0].time && (
            <Typography variant="body2" color="textSecondary">
              {formatTime(m.deaths[0].time)}
            </Typography>
          )}
        </>
      ),
  },
  {
    title: 'Published to',
    render: m =>
      m.deaths.length === 0
        ? m.routingKey
        : `${
            m.deaths[0].exchange || '(default exchange)'
          } with ${m.deaths[0].routingKeys.join(', ')}`,
  },
  {
    title: 'Properties',
    render: m => <Code>{describeProperties(m)}</Code>,
  },
  {
    title: 'Payload',
    render: m => (
      <>
        <Code>{m.payload}</Code>
        <Typography variant="body2" color="textSecondary">
          {m.payloadEncoding === 'base64' ? 'base64, ' : ''}
          {m.payloadBytes} bytes
          {m.payloadTruncated ? ', first part shown' : ''}
          {m.redelivered ? ', redelivered' : ''}
        </Typography>
      </>
    ),
  },
];

/**
 * A consumer's dead-lettered messages, for its owners and BROM administrators: how many (from
 * the queue health's statistics until a peek counts them), the first few on request (a peek
 * puts them back, marked redelivered, and is audited), and the tools to move them back to the
 * queue or to purge them, each after a confirmation.
 */
export const DeadLettersCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const permission = usePermission({
    permission: bromDeadLettersManagePermission,
    resourceRef: application.name,
  });
  const allowed = permission.allowed && !permission.loading;
  const health = useAsyncRetry(
    async () =>
      allowed ? api.getApplicationHealth(application.name) : undefined,
    [api, application.name, allowed],
  );
  const [peek, runPeek] = useAsyncFn(
    () => api.peekDeadLetters(application.name, PEEK_COUNT),
    [api, application.name],
  );
  // A peek is shown until a replay or purge makes it out of date.
  const [peekShown, setPeekShown] = useState(false);
  const [asking, setAsking] = useState<'replay' | 'purge' | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const items = useMemo(
    () => peek.value?.messages.map((m, i) => ({ ...m, id: i })),
    [peek.value],
  );

  const doPeek = useCallback(() => {
    setPeekShown(true);
    runPeek();
  }, [runPeek]);
  const afterAction = useCallback(
    (message: string) => {
      setAsking(undefined);
      setPeekShown(false);
      setDone(message);
      health.retry();
    },
    [health],
  );
  const onReplay = useCallback(async () => {
    const answer = await api.replayDeadLetters(application.name);
    afterAction(
      answer.moving === 0
        ? 'There was nothing to move.'
        : `Moving ${answer.moving} messages back to ${answer.to}.`,
    );
  }, [api, application.name, afterAction]);
  const onPurge = useCallback(async () => {
    const answer = await api.purgeDeadLetters(application.name);
    afterAction(`Purged ${answer.purged} messages from ${answer.queue}.`);
  }, [api, application.name, afterAction]);

  const title = 'Dead letters';
  if (permission.loading) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  const queue = health.value?.deadLetterQueue ?? null;
  const peeked = peekShown && peek.value ? peek.value : undefined;
  const count = peeked?.messageCount ?? queue?.messagesReady ?? 0;
  const replayRunning = peeked?.replayRunning === true;
  const tools = !!queue && count > 0 && !replayRunning;
  const actions = (
    <>
      <PermittedButton
        size="small"
        permission={bromDeadLettersManagePermission}
        application={application}
        onClick={doPeek}
        disabled={!queue || peek.loading}
      >
        Peek
      </PermittedButton>
      <PermittedButton
        size="small"
        permission={bromDeadLettersManagePermission}
        application={application}
        disabled={!tools}
        onClick={() => setAsking('replay')}
      >
        Replay
      </PermittedButton>
      <PermittedButton
        size="small"
        color="secondary"
        permission={bromDeadLettersManagePermission}
        application={application}
        disabled={!tools}
        onClick={() => setAsking('purge')}
      >
        Purge
      </PermittedButton>
    </>
  );

  let body;
  if (!permission.allowed) {
    body = (
      <Alert severity="info">
        Dead letters are shown to the owners of {application.name} and BROM
        administrators: peeking shows message payloads.
      </Alert>
    );
  } else if (health.error) {
    body = (
      <LoadError
        error={health.error}
        what="the dead-letter count"
        onRetry={health.retry}
      />
    );
  } else if (!health.value) {
    body = <Progress />;
  } else if (!queue) {
    body = (
      <EmptyState
        missing="data"
        title="No dead-letter queue"
        description="Only an application that subscribes to notification types has a queue and a dead-letter queue, once the broker has them."
      />
    );
  } else {
    body = (
      <>
        {done && (
          <Box mb={1}>
            <Alert severity="success" onClose={() => setDone(undefined)}>
              {done}
            </Alert>
          </Box>
        )}
        {replayRunning && (
          <Box mb={1}>
            <Alert severity="info">
              A replay is moving the messages back to the queue; replay and
              purge wait until it is done.
            </Alert>
          </Box>
        )}
        <Box mb={1}>
          <Typography variant="body2" color="textSecondary">
            Peeking takes the first {PEEK_COUNT} messages and puts them back at
            once: they stay in the queue, but are marked redelivered and their
            order may change. Each peek is recorded in the audit history.
          </Typography>
        </Box>
        {peekShown && (
          <ListCardTable<Row>
            loading={peek.loading}
            error={peek.error}
            onRetry={doPeek}
            what="the dead letters"
            items={peek.loading ? undefined : items}
            columns={COLUMNS}
            secondary={['Properties']}
            empty={{
              title: replayRunning ? 'A replay is running' : 'No dead letters',
              description:
                'Messages the application rejects without requeueing, or that expire or overflow its queue, land here.',
            }}
          />
        )}
      </>
    );
  }

  return (
    <InfoCard
      title={title}
      subheader={
        queue
          ? `${count} messages in ${queue.name}${
              peeked
                ? ''
                : ` (broker statistics of ${formatTime(
                    health.value!.observedAt,
                  )})`
            }`
          : undefined
      }
      action={actions}
    >
      {body}
      {asking === 'replay' && queue && (
        <ConfirmDialog
          title={`Replay the dead letters of ${application.name}?`}
          confirmLabel="Replay"
          onConfirm={onReplay}
          onClose={() => setAsking(undefined)}
        >
          <Typography>
            The messages now in {queue.name} move back to the application's
            queue, where its consumers get them again. Messages dead-lettered
            meanwhile stay.
          </Typography>
        </ConfirmDialog>
      )}
      {asking === 'purge' && queue && (
        <ConfirmDialog
          title={`Purge the dead letters of ${application.name}?`}
          confirmLabel="Purge"
          onConfirm={onPurge}
          onClose={() => setAsking(undefined)}
        >
          <Typography>
            The messages in {queue.name} are deleted for good.
          </Typography>
        </ConfirmDialog>
      )}
    </InfoCard>
  );
};
