import { IssuedCredential } from '@internal/plugin-brom-common';
import { BrokerSettings } from '../common/useBrokerSettings';

export interface ConnectionSettings {
  /**
   * `AMQP_URL=…` with the credential in it, for an environment file or a secret store;
   * `AMQP_URLS=…,…` (one per node) for a cluster.
   */
  environment: string;
  /** An amqplib client that consumes from the application's queue and publishes to its exchange. */
  amqplibSnippet: string;
}

/**
 * Connection settings for a newly issued credential. Applications have no `configure`
 * permission: the portal owns the topology, so clients only check (passively declare) the
 * queue and exchange before using them.
 */
export function connectionSettings(
  broker: BrokerSettings,
  application: string,
  issued: IssuedCredential,
): ConnectionSettings {
  const urls = broker.amqpUrls.map(amqpUrl => {
    const match = /^(amqps?):\/\/(?:[^@/]*@)?([^/?#]+)/.exec(amqpUrl);
    const scheme = match?.[1] ?? 'amqps';
    const host = match?.[2] ?? amqpUrl;
    return `${scheme}://${encodeURIComponent(
      issued.credential.username,
    )}:${encodeURIComponent(issued.secret)}@${host}/${encodeURIComponent(
      broker.vhost,
    )}`;
  });
  const clustered = urls.length > 1;
  // encodeURIComponent leaves no comma in a URL, so a comma can separate them.
  const environment = clustered
    ? `AMQP_URLS=${urls.join(',')}`
    : `AMQP_URL=${urls[0]}`;
  const connect = clustered
    ? `// AMQP_URLS lists every node of the cluster: use the first that accepts.
  let connection;
  for (const url of process.env.AMQP_URLS.split(',')) {
    connection = await amqp.connect(url).catch(() => undefined);
    if (connection) break;
  }
  if (!connection) throw new Error('no RabbitMQ node accepted the connection');`
    : 'const connection = await amqp.connect(process.env.AMQP_URL);';
  const name = `${broker.prefix}${application}`;
  const amqplibSnippet = `// npm install amqplib — ${
    clustered ? 'AMQP_URLS' : 'AMQP_URL'
  } comes from the line above, kept in your secret store
const amqp = require('amqplib');

async function main() {
  ${connect}
  const channel = await connection.createChannel();

  // Consume: BROM owns the queue, so check it (passive declare) instead of asserting it.
  await channel.checkQueue('${name}');
  await channel.consume('${name}', message => {
    if (message === null) return;
    console.log(message.fields.routingKey, message.content.toString());
    channel.ack(message);
  });

  // Publish: check the exchange (passive), then publish with a routing key that matches
  // one of ${application}'s notification types.
  await channel.checkExchange('${name}');
  channel.publish('${name}', 'your.routing.key', Buffer.from(JSON.stringify({})), {
    contentType: 'application/json',
    persistent: true,
  });
}

main();
`;
  return { environment, amqplibSnippet };
}
