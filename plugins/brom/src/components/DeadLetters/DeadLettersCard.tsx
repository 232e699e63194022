import { InfoCard, Progress, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Application,
  bromDeadLettersManagePermission,
  DeadLetterMessage,
} from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { describeError, statusCodeOf } from '../common/errors';
import { ListCardTable } from '../common/ListCardTable';
import { PermittedButton } from '../common/PermittedButton';
import { formatTime } from '../common/time';

/** How many messages the card peeks at. */
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

/**
 * A consumer's dead-lettered messages, for its owners and BROM administrators: how many, the
 * first few (peeking puts them back, marked redelivered), and the tools to move them back to
 * the queue or to purge them, each after a confirmation.
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
  const [asking, setAsking] = useState<'replay' | 'purge' | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const peek = useAsyncRetry(
    async () =>
      permission.allowed && !permission.loading
        ? api.peekDeadLetters(application.name, PEEK_COUNT)
        : undefined,
    [api, application.name, permission.allowed, permission.loading],
  );
  const columns = useMemo<TableColumn<Row>[]>(
    () => [
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
            : `${m.deaths[0].exchange || '(default exchange)'} with ${m.deaths[0].routingKeys.join(', ')}`,
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
    ],
    [],
  );
  const onReplay = useCallback(async () => {
    const answer = await api.replayDeadLetters(application.name);
    setAsking(undefined);
    setDone(
      answer.moving === 0
        ? 'There was nothing to move.'
        : `Moving ${answer.moving} messages back to ${answer.to}.`,
    );
    peek.retry();
  }, [api, application.name, peek]);
  const onPurge = useCallback(async () => {
    const answer = await api.purgeDeadLetters(application.name);
    setAsking(undefined);
    setDone(`Purged ${answer.purged} messages from ${answer.queue}.`);
    peek.retry();
  }, [api, application.name, peek]);

  const title = 'Dead letters';
  if (permission.loading) {
    return (
      <InfoCard title={title}>
        <Progress />
      </InfoCard>
    );
  }
  const value = peek.value;
  const empty = !value || value.messageCount === 0;
  const busy = peek.loading || value?.replayRunning === true;
  const notConsumer = peek.error && statusCodeOf(peek.error) === 409;
  const actions = (
    <>
      <Button
        size="small"
        onClick={peek.retry}
        disabled={peek.loading || !permission.allowed}
      >
        Refresh
      </Button>
      <PermittedButton
        size="small"
        permission={bromDeadLettersManagePermission}
        application={application}
        disabled={busy || empty || !!peek.error}
        onClick={() => setAsking('replay')}
      >
        Replay
      </PermittedButton>
      <PermittedButton
        size="small"
        color="secondary"
        permission={bromDeadLettersManagePermission}
        application={application}
        disabled={busy || empty || !!peek.error}
        onClick={() => setAsking('purge')}
      >
        Purge
      </PermittedButton>
    </>
  );
  return (
    <InfoCard
      title={title}
      subheader={
        value
          ? `${value.messageCount} messages in ${value.queue}`
          : undefined
      }
      action={actions}
    >
      {!permission.allowed ? (
        <Alert severity="info">
          Dead letters are shown to the owners of {application.name} and BROM
          administrators: peeking shows message payloads.
        </Alert>
      ) : (
        <>
          {done && (
            <Box mb={1}>
              <Alert severity="success" onClose={() => setDone(undefined)}>
                {done}
              </Alert>
            </Box>
          )}
          {value?.replayRunning && (
            <Box mb={1}>
              <Alert severity="info">
                A replay is moving the messages back to the queue; peek, replay
                and purge wait until it is done.
              </Alert>
            </Box>
          )}
          {value && value.messages.length > 0 && (
            <Box mb={1}>
              <Typography variant="body2" color="textSecondary">
                Peeking takes the first {PEEK_COUNT} messages and puts them
                back at once: they stay in the queue, marked redelivered, and
                their order may change.
              </Typography>
            </Box>
          )}
          {notConsumer ? (
            <Alert
              severity="info"
              action={
                <Button color="inherit" size="small" onClick={peek.retry}>
                  Try again
                </Button>
              }
            >
              {describeError(peek.error!)}
            </Alert>
          ) : (
            <ListCardTable<Row>
              loading={peek.loading}
              error={peek.error}
              onRetry={peek.retry}
              what="the dead letters"
              items={value?.messages.map((m, i) => ({ ...m, id: i }))}
              columns={columns}
              secondary={['Properties']}
              empty={{
                title: value?.replayRunning
                  ? 'A replay is running'
                  : 'No dead letters',
                description:
                  'Messages the application rejects (without requeueing), that expire or overflow its queue land here.',
              }}
            />
          )}
        </>
      )}
      {asking === 'replay' && value && (
        <ConfirmDialog
          title={`Replay the dead letters of ${application.name}?`}
          confirmLabel="Replay"
          onConfirm={onReplay}
          onClose={() => setAsking(undefined)}
        >
          <Typography>
            The {value.messageCount} messages now in {value.queue} move back to
            the application's queue, where its consumers get them again.
            Messages dead-lettered meanwhile stay.
          </Typography>
        </ConfirmDialog>
      )}
      {asking === 'purge' && value && (
        <ConfirmDialog
          title={`Purge the dead letters of ${application.name}?`}
          confirmLabel="Purge"
          onConfirm={onPurge}
          onClose={() => setAsking(undefined)}
        >
          <Typography>
            The {value.messageCount} messages in {value.queue} are deleted for
            good.
          </Typography>
        </ConfirmDialog>
      )}
    </InfoCard>
  );
};
