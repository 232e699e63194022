import {
  CardTab,
  CopyTextButton,
  EmptyState,
  InfoCard,
  Progress,
  StructuredMetadataTable,
  TabbedCard,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  Application,
  Credential,
  connectionGuide,
} from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { LoadError } from '../common/LoadError';
import { PlainCode } from '../common/PlainCode';
import { statusCodeOf } from '../common/errors';
import { useBrokerSettings } from '../common/useBrokerSettings';

/** The element id the secret dialog links to. */
export const CONNECTION_CARD_ID = 'brom-connection';

/** The most notification types one producer lists; the card shows their patterns. */
const TYPE_LIMIT = 100;

const ROLE_WORDS = {
  both: '(producer and consumer)',
  producer: '(producer)',
  consumer: '(consumer)',
  none: '',
} as const;

function tlsWords(withTls: number, all: number): string {
  if (withTls === all) return 'Yes (amqps)';
  return withTls === 0 ? 'No (amqp)' : 'On some addresses';
}

function isLive(credential: Credential, now: Date) {
  return (
    !credential.revokedAt &&
    (!credential.expiresAt || new Date(credential.expiresAt) > now)
  );
}

const Code = ({ text }: { text: string }) => (
  <Box display="flex" alignItems="center" style={{ gap: 4 }}>
    <code style={{ wordBreak: 'break-all' }}>{text}</code>
    <CopyTextButton text={text} aria-label={`Copy ${text}`} />
  </Box>
);

/**
 * How the application connects, always at hand: the broker's address(es), the exchange it
 * publishes to with its routing keys, the queues it reads, its live credentials' usernames,
 * and client code for its role in four languages.
 */
export const ConnectionCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const broker = useBrokerSettings();
  const state = useAsyncRetry(async () => {
    const [types, subscriptions, credentials] = await Promise.all([
      api.listNotificationTypes({
        application: application.name,
        limit: TYPE_LIMIT,
      }),
      api.listSubscriptions({ consumer: application.name, limit: 1 }),
      // Only owners and admins may list credentials; others see the rest of the card.
      api.listCredentials(application.name).catch(error => {
        if (statusCodeOf(error) === 403) return undefined;
        throw error;
      }),
    ]);
    return { types, subscriptions, credentials };
  }, [api, application.name, application.generation]);

  const title = 'Connection';
  if (state.loading && !state.value) {
    return (
      <InfoCard title={title}>
        <div id={CONNECTION_CARD_ID} />
        <Progress />
      </InfoCard>
    );
  }
  if (state.error || !state.value) {
    return (
      <InfoCard title={title}>
        <div id={CONNECTION_CARD_ID} />
        <LoadError
          error={state.error ?? new Error('Nothing loaded')}
          what="the connection settings"
          onRetry={state.retry}
        />
      </InfoCard>
    );
  }
  const { types, subscriptions, credentials } = state.value;
  const guide = connectionGuide({
    broker,
    application: application.name,
    routingKeyPatterns: types.items.map(type => type.routingKeyPattern),
    consumer: subscriptions.totalCount > 0,
  });
  const now = new Date();
  const usernames = credentials
    ?.filter(credential => isLive(credential, now))
    .map(credential => credential.username);

  const metadata: Record<string, unknown> = {
    [guide.endpoints.length > 1 ? 'Hosts' : 'Host']: guide.endpoints.map(
      endpoint => `${endpoint.host}:${endpoint.port}`,
    ),
    TLS: tlsWords(
      guide.endpoints.filter(e => e.tls).length,
      guide.endpoints.length,
    ),
    'Virtual host': <Code text={guide.vhost} />,
  };
  if (guide.exchange) {
    metadata['Publishes to exchange'] = <Code text={guide.exchange} />;
    metadata['Allowed routing keys'] = guide.routingKeyPatterns;
    metadata['Example routing key'] = <Code text={guide.exampleRoutingKey!} />;
  }
  if (guide.queue) {
    metadata['Consumes from queue'] = <Code text={guide.queue} />;
    metadata['Dead-letter queue'] = <Code text={guide.deadLetterQueue!} />;
  }
  if (usernames === undefined) {
    metadata['Live credentials'] = 'Visible to the owners';
  } else {
    metadata['Live credentials'] =
      usernames.length === 0 ? 'None: create one below' : usernames;
  }

  return (
    <Box id={CONNECTION_CARD_ID}>
      <InfoCard
        title={title}
        subheader={`Connect as ${application.name} ${ROLE_WORDS[guide.role]}`}
      >
        <StructuredMetadataTable metadata={metadata} />
        <Box mt={2}>
          <Typography variant="subtitle2">Environment</Typography>
          <Typography variant="body2" color="textSecondary">
            Put the username and secret of a live credential in place of
            USERNAME and SECRET, and keep the line in your secret store.
          </Typography>
          <PlainCode
            text={guide.environmentTemplate}
            wrap
            label="Environment"
          />
        </Box>
        {guide.role === 'none' && (
          <Box mt={2}>
            <EmptyState
              missing="content"
              title="Nothing to connect to yet"
              description="Add a notification type to publish, or request a subscription to receive notifications: the client code appears here."
            />
          </Box>
        )}
      </InfoCard>
      {guide.snippets.length > 0 && (
        <Box mt={2}>
          <TabbedCard title="Client code">
            {guide.snippets.map(snippet => (
              <CardTab key={snippet.language} label={snippet.label}>
                <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                  <Typography variant="body2">
                    Install: <code>{snippet.install}</code>
                  </Typography>
                  <CopyTextButton
                    text={snippet.code}
                    aria-label={`Copy ${snippet.label} code`}
                  />
                </Box>
                <PlainCode
                  text={snippet.code}
                  label={`${snippet.label} code`}
                />
              </CardTab>
            ))}
          </TabbedCard>
        </Box>
      )}
    </Box>
  );
};
