import { compileRoutingKeyPatterns } from '@internal/brom-authz-snapshot';

/**
 * How an application connects to the broker: the facts for the connection card and
 * copy-ready client code in four languages. Pure, so the frontend shows exactly the code the
 * integration test runs.
 */

/** The broker applications connect to (`brom.broker` in the app config). */
export interface ConnectionBroker {
  /** Each node of a cluster, or one address (a single node or a load balancer). */
  amqpUrls: string[];
  vhost: string;
  /** Prefix of every exchange and queue BROM manages. */
  prefix: string;
}

export interface ConnectionGuideInput {
  broker: ConnectionBroker;
  application: string;
  /** Patterns of the application's live notification types: a producer when not empty. */
  routingKeyPatterns: string[];
  /** Whether the application has a queue: it has a subscription (any state) as consumer. */
  consumer: boolean;
}

export interface ConnectionEndpoint {
  host: string;
  port: number;
  tls: boolean;
}

export type ConnectionSnippetLanguage = 'node' | 'python' | 'java' | 'dotnet';

export interface ConnectionSnippet {
  language: ConnectionSnippetLanguage;
  /**
   * The language: the card's tab, short enough that the four tabs fit the card in an 800 px
   * window (the library is named in `install`).
   */
  label: string;
  /** How to get the client library. */
  install: string;
  /** The program, which reads the broker URL(s) from the environment (see `environmentName`). */
  code: string;
}

export interface ConnectionGuide {
  role: 'producer' | 'consumer' | 'both' | 'none';
  endpoints: ConnectionEndpoint[];
  vhost: string;
  /** The exchange a producer publishes to; undefined for a consumer only. */
  exchange?: string;
  routingKeyPatterns: string[];
  /** A key that matches one of the patterns, so the broker lets it through. */
  exampleRoutingKey?: string;
  queue?: string;
  deadLetterQueue?: string;
  /** `AMQP_URL` for one address, `AMQP_URLS` (comma-separated) for several nodes. */
  environmentName: 'AMQP_URL' | 'AMQP_URLS';
  /** The variable with placeholders for the credential, e.g. `AMQP_URL=amqps://USERNAME:SECRET@host/brom`. */
  environmentTemplate: string;
  snippets: ConnectionSnippet[];
}

const EXAMPLE_WORD = 'example';

/**
 * A routing key that matches the pattern: `*` becomes a word, a final `#` one word (it could
 * be none, but a word shows where the free part goes). The result is checked against the
 * pattern with the sidecar's own matcher.
 */
export function exampleRoutingKey(pattern: string): string {
  const key = pattern
    .split('.')
    .map(word => (word === '*' || word === '#' ? EXAMPLE_WORD : word))
    .join('.');
  if (!compileRoutingKeyPatterns([pattern])(key)) {
    throw new Error(`No example key for routing-key pattern ${pattern}`);
  }
  return key;
}

function parseAmqpUrl(url: string): ConnectionEndpoint & { scheme: string } {
  const match =
    /^(amqps?):\/\/(?:[^@/]*@)?([^/?#:]+|\[[^\]]+\])(?::(\d+))?/.exec(url);
  const scheme = match?.[1] ?? 'amqps';
  const tls = scheme === 'amqps';
  const defaultPort = tls ? 5671 : 5672;
  return {
    scheme,
    host: match?.[2] ?? url,
    port: match?.[3] ? Number(match[3]) : defaultPort,
    tls,
  };
}

/** The broker URL of one endpoint with the credential in it (escaped) and the vhost. */
export function amqpUrlFor(
  url: string,
  vhost: string,
  username: string,
  secret: string,
): string {
  const match = /^(amqps?):\/\/(?:[^@/]*@)?([^/?#]+)/.exec(url);
  const scheme = match?.[1] ?? 'amqps';
  const authority = match?.[2] ?? url;
  return `${scheme}://${encodeURIComponent(username)}:${encodeURIComponent(
    secret,
  )}@${authority}/${encodeURIComponent(vhost)}`;
}

/**
 * The environment line for a credential: `AMQP_URL=…`, or `AMQP_URLS=…,…` (one per node) for
 * a cluster. encodeURIComponent leaves no comma in a URL, so a comma can separate them.
 */
export function connectionEnvironment(
  broker: ConnectionBroker,
  username: string,
  secret: string,
): string {
  const urls = broker.amqpUrls.map(url =>
    amqpUrlFor(url, broker.vhost, username, secret),
  );
  return urls.length > 1
    ? `AMQP_URLS=${urls.join(',')}`
    : `AMQP_URL=${urls[0]}`;
}

interface SnippetFacts {
  clustered: boolean;
  exchange?: string;
  routingKey?: string;
  queue?: string;
}

const q = (text: string) => JSON.stringify(text);

function nodeSnippet(facts: SnippetFacts): string {
  const { clustered, exchange, routingKey, queue } = facts;
  const lines: string[] = [
    "const amqp = require('amqplib');",
    '',
    'async function connect() {',
  ];
  if (clustered) {
    lines.push(
      '  // AMQP_URLS lists every node of the cluster: use the first that accepts.',
      "  for (const url of process.env.AMQP_URLS.split(',')) {",
      '    const connection = await amqp.connect(url).catch(() => undefined);',
      '    if (connection) return connection;',
      '  }',
      "  throw new Error('no RabbitMQ node accepted the connection');",
    );
  } else {
    lines.push('  return amqp.connect(process.env.AMQP_URL);');
  }
  lines.push(
    '}',
    '',
    'async function main() {',
    '  const connection = await connect();',
  );
  if (queue) {
    lines.push(
      '  const channel = await connection.createChannel();',
      '  await channel.prefetch(10);',
      '  // BROM owns the queue: check it (passive declare), never assert it.',
      `  await channel.checkQueue(${q(queue)});`,
      `  await channel.consume(${q(queue)}, message => {`,
      '    if (message === null) return; // the queue was deleted',
      "    console.log('received', message.fields.routingKey, message.content.toString());",
      '    channel.ack(message); // a nack with requeue=false dead-letters the message',
      '  });',
      `  console.log('consuming', ${q(queue)});`,
    );
  }
  if (exchange && routingKey) {
    lines.push(
      '  // Publish with confirms: the broker says when it has the message.',
      '  const publisher = await connection.createConfirmChannel();',
      `  await publisher.checkExchange(${q(exchange)});`,
      `  publisher.publish(${q(exchange)}, ${q(routingKey)},`,
      "    Buffer.from(JSON.stringify({ hello: 'world' })),",
      "    { contentType: 'application/json', persistent: true });",
      '  await publisher.waitForConfirms();',
      `  console.log('published', ${q(routingKey)});`,
    );
  }
  if (queue) {
    lines.push(
      "  for (const signal of ['SIGINT', 'SIGTERM']) {",
      '    process.once(signal, () => connection.close().then(() => process.exit(0)));',
      '  }',
    );
  } else {
    lines.push('  await connection.close();');
  }
  lines.push(
    '}',
    '',
    'main().catch(error => {',
    '  console.error(error);',
    '  process.exit(1);',
    '});',
    '',
  );
  return lines.join('\n');
}

function pythonSnippet(facts: SnippetFacts): string {
  const { clustered, exchange, routingKey, queue } = facts;
  const lines: string[] = ['import json', 'import os'];
  if (queue) lines.push('import signal');
  lines.push('', 'import pika', '');
  if (queue) {
    lines.push(
      '# A process manager stops the consumer with SIGTERM: end it like Ctrl-C.',
      'signal.signal(signal.SIGTERM, signal.default_int_handler)',
      '',
    );
  }
  if (clustered) {
    lines.push(
      '# AMQP_URLS lists every node of the cluster: pika tries them in order.',
      "parameters = [pika.URLParameters(url) for url in os.environ['AMQP_URLS'].split(',')]",
    );
  } else {
    lines.push("parameters = pika.URLParameters(os.environ['AMQP_URL'])");
  }
  lines.push('connection = pika.BlockingConnection(parameters)', '');
  if (queue) {
    lines.push(
      'channel = connection.channel()',
      '# BROM owns the queue: check it (passive declare), never declare it.',
      `channel.queue_declare(queue=${q(queue)}, passive=True)`,
      'channel.basic_qos(prefetch_count=10)',
      '',
      '',
      'def on_message(ch, method, properties, body):',
      "    print('received', method.routing_key, body.decode(), flush=True)",
      '    ch.basic_ack(delivery_tag=method.delivery_tag)',
      '',
      '',
      `channel.basic_consume(queue=${q(
        queue,
      )}, on_message_callback=on_message)`,
      `print('consuming', ${q(queue)}, flush=True)`,
      '',
    );
  }
  if (exchange && routingKey) {
    lines.push(
      '# Publish with confirms: basic_publish raises if the broker does not take the message.',
      'publisher = connection.channel()',
      'publisher.confirm_delivery()',
      `publisher.exchange_declare(exchange=${q(exchange)}, passive=True)`,
      'publisher.basic_publish(',
      `    exchange=${q(exchange)},`,
      `    routing_key=${q(routingKey)},`,
      "    body=json.dumps({'hello': 'world'}, separators=(',', ':')),",
      "    properties=pika.BasicProperties(content_type='application/json', delivery_mode=2),",
      ')',
      `print('published', ${q(routingKey)}, flush=True)`,
      '',
    );
  }
  if (queue) {
    lines.push(
      'try:',
      '    channel.start_consuming()',
      'except KeyboardInterrupt:',
      '    channel.stop_consuming()',
    );
  }
  lines.push('connection.close()', '');
  return lines.join('\n');
}

function javaSnippet(facts: SnippetFacts): string {
  const { clustered, exchange, routingKey, queue } = facts;
  const lines: string[] = [
    '// com.rabbitmq:amqp-client 5.x and an SLF4J binding on the classpath;',
    '// run with: java -cp <those jars> Brom.java (Java 11+)',
    'import com.rabbitmq.client.*;',
    'import java.nio.charset.StandardCharsets;',
    '',
    'public class Brom {',
    '  static Connection connect() throws Exception {',
  ];
  if (clustered) {
    lines.push(
      '    // AMQP_URLS lists every node of the cluster: use the first that accepts.',
      '    Exception last = null;',
      '    for (String url : System.getenv("AMQP_URLS").split(",")) {',
      '      ConnectionFactory factory = new ConnectionFactory();',
      '      factory.setUri(url);',
      '      try { return factory.newConnection(); } catch (Exception e) { last = e; }',
      '    }',
      '    throw last;',
    );
  } else {
    lines.push(
      '    ConnectionFactory factory = new ConnectionFactory();',
      '    factory.setUri(System.getenv("AMQP_URL"));',
      '    return factory.newConnection();',
    );
  }
  lines.push(
    '  }',
    '',
    '  public static void main(String[] args) throws Exception {',
    '    Connection connection = connect();',
  );
  if (queue) {
    lines.push(
      '    // Ctrl-C or SIGTERM: close the connection before the JVM exits.',
      '    Runtime.getRuntime().addShutdownHook(new Thread(() -> {',
      '      try { connection.close(); } catch (Exception e) { }',
      '    }));',
      '    Channel channel = connection.createChannel();',
      '    // BROM owns the queue: check it (passive declare), never declare it.',
      `    channel.queueDeclarePassive(${q(queue)});`,
      '    channel.basicQos(10);',
      `    channel.basicConsume(${q(queue)}, false, (tag, delivery) -> {`,
      '      System.out.println("received " + delivery.getEnvelope().getRoutingKey() + " "',
      '          + new String(delivery.getBody(), StandardCharsets.UTF_8));',
      '      channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);',
      '    }, tag -> {});',
      `    System.out.println("consuming ${queue}");`,
    );
  }
  if (exchange && routingKey) {
    lines.push(
      '    // Publish with confirms: the broker says when it has the message.',
      '    Channel publisher = connection.createChannel();',
      '    publisher.confirmSelect();',
      `    publisher.exchangeDeclarePassive(${q(exchange)});`,
      '    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()',
      '        .contentType("application/json").deliveryMode(2).build();',
      `    publisher.basicPublish(${q(exchange)}, ${q(
        routingKey,
      )}, properties,`,
      '        "{\\"hello\\":\\"world\\"}".getBytes(StandardCharsets.UTF_8));',
      '    publisher.waitForConfirmsOrDie(10_000);',
      `    System.out.println("published ${routingKey}");`,
    );
  }
  if (queue) {
    lines.push(
      "    // The connection's threads keep the program consuming until it is stopped.",
    );
  } else {
    lines.push('    connection.close();');
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}

function dotnetSnippet(facts: SnippetFacts): string {
  const { clustered, exchange, routingKey, queue } = facts;
  const lines: string[] = [
    '// dotnet add package RabbitMQ.Client --version 7.*  (a top-level Program.cs)',
    'using System.Text;',
    'using RabbitMQ.Client;',
    'using RabbitMQ.Client.Events;',
    '',
  ];
  if (clustered) {
    lines.push(
      '// AMQP_URLS lists every node of the cluster: use the first that accepts.',
      'IConnection? connection = null;',
      'foreach (var url in Environment.GetEnvironmentVariable("AMQP_URLS")!.Split(\',\'))',
      '{',
      '    try { connection = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync(); break; }',
      '    catch (Exception) { }',
      '}',
      'if (connection is null) throw new Exception("no RabbitMQ node accepted the connection");',
    );
  } else {
    lines.push(
      'var factory = new ConnectionFactory { Uri = new Uri(Environment.GetEnvironmentVariable("AMQP_URL")!) };',
      'var connection = await factory.CreateConnectionAsync();',
    );
  }
  if (exchange && routingKey) {
    lines.push(
      '// Publisher confirms: BasicPublishAsync completes once the broker has the message.',
      'var channel = await connection.CreateChannelAsync(new CreateChannelOptions(',
      '    publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));',
      `await channel.ExchangeDeclarePassiveAsync(${q(exchange)});`,
      'var properties = new BasicProperties { ContentType = "application/json", Persistent = true };',
      `await channel.BasicPublishAsync(${q(exchange)}, ${q(
        routingKey,
      )}, false, properties,`,
      '    Encoding.UTF8.GetBytes("{\\"hello\\":\\"world\\"}"));',
      `Console.WriteLine("published ${routingKey}");`,
    );
  } else {
    lines.push('var channel = await connection.CreateChannelAsync();');
  }
  if (queue) {
    lines.push(
      '// BROM owns the queue: check it (passive declare), never declare it.',
      `await channel.QueueDeclarePassiveAsync(${q(queue)});`,
      'await channel.BasicQosAsync(0, 10, false);',
      'var consumer = new AsyncEventingBasicConsumer(channel);',
      'consumer.ReceivedAsync += async (_, delivery) =>',
      '{',
      '    Console.WriteLine($"received {delivery.RoutingKey} {Encoding.UTF8.GetString(delivery.Body.Span)}");',
      '    await channel.BasicAckAsync(delivery.DeliveryTag, false);',
      '};',
      `await channel.BasicConsumeAsync(${q(queue)}, false, consumer);`,
      'var stop = new TaskCompletionSource();',
      'Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };',
      'await stop.Task;',
    );
  }
  lines.push(
    'await channel.CloseAsync();',
    'await connection.CloseAsync();',
    '',
  );
  return lines.join('\n');
}

/** Everything the connection card shows for one application. */
export function connectionGuide(input: ConnectionGuideInput): ConnectionGuide {
  const { broker, application } = input;
  const name = `${broker.prefix}${application}`;
  const producer = input.routingKeyPatterns.length > 0;
  const consumer = input.consumer;
  const roles = {
    'true,true': 'both',
    'true,false': 'producer',
    'false,true': 'consumer',
    'false,false': 'none',
  } as const;
  const role = roles[`${producer},${consumer}`];
  const clustered = broker.amqpUrls.length > 1;
  const environmentName = clustered ? 'AMQP_URLS' : 'AMQP_URL';
  const facts: SnippetFacts = {
    clustered,
    exchange: producer ? name : undefined,
    routingKey: producer
      ? exampleRoutingKey(input.routingKeyPatterns[0])
      : undefined,
    queue: consumer ? name : undefined,
  };
  const snippets: ConnectionSnippet[] =
    role === 'none'
      ? []
      : [
          {
            language: 'node',
            label: 'Node.js',
            install: 'npm install amqplib',
            code: nodeSnippet(facts),
          },
          {
            language: 'python',
            label: 'Python',
            install: 'pip install pika',
            code: pythonSnippet(facts),
          },
          {
            language: 'java',
            label: 'Java',
            install: 'com.rabbitmq:amqp-client:5.+',
            code: javaSnippet(facts),
          },
          {
            language: 'dotnet',
            label: '.NET',
            install: 'dotnet add package RabbitMQ.Client --version 7.*',
            code: dotnetSnippet(facts),
          },
        ];
  return {
    role,
    endpoints: broker.amqpUrls.map(url => {
      const { host, port, tls } = parseAmqpUrl(url);
      return { host, port, tls };
    }),
    vhost: broker.vhost,
    exchange: facts.exchange,
    routingKeyPatterns: input.routingKeyPatterns,
    exampleRoutingKey: facts.routingKey,
    queue: facts.queue,
    deadLetterQueue: consumer ? `${name}.dlq` : undefined,
    environmentName,
    environmentTemplate: connectionEnvironment(broker, 'USERNAME', 'SECRET'),
    snippets,
  };
}
