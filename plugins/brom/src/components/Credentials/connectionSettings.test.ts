import { connectionSettings } from './connectionSettings';

const issued = {
  credential: {
    id: 'c1',
    application: 'orders',
    username: 'orders-7f3a',
    createdAt: '2026-11-21T00:00:00.000Z',
    createdBy: 'user:default/alice',
    expiresAt: null,
    revokedAt: null,
    revokedBy: null,
  },
  secret: 's3cr/et+',
};

describe('connectionSettings', () => {
  it('puts the credential into the broker URL, escaped', () => {
    const settings = connectionSettings(
      { amqpUrls: ['amqp://127.0.0.1:5673'], vhost: 'brom', prefix: 'brom.' },
      'orders',
      issued,
    );
    expect(settings.environment).toBe(
      'AMQP_URL=amqp://orders-7f3a:s3cr%2Fet%2B@127.0.0.1:5673/brom',
    );
  });

  it('uses passive declares on the application queue and exchange', () => {
    const { amqplibSnippet } = connectionSettings(
      {
        amqpUrls: ['amqps://guest@rabbitmq.example.org'],
        vhost: 'brom',
        prefix: 'brom.',
      },
      'orders',
      issued,
    );
    expect(amqplibSnippet).toContain("channel.checkQueue('brom.orders')");
    expect(amqplibSnippet).toContain("channel.consume('brom.orders'");
    expect(amqplibSnippet).toContain("channel.checkExchange('brom.orders')");
    expect(amqplibSnippet).not.toContain('assertQueue');
    expect(amqplibSnippet).not.toContain(issued.secret);
  });

  it('lists every node of a cluster, and the snippet connects to the first that accepts', () => {
    const settings = connectionSettings(
      {
        amqpUrls: ['amqps://rabbit-1.example', 'amqps://rabbit-2.example:5671'],
        vhost: 'brom',
        prefix: 'brom.',
      },
      'orders',
      issued,
    );
    expect(settings.environment).toBe(
      'AMQP_URLS=amqps://orders-7f3a:s3cr%2Fet%2B@rabbit-1.example/brom,' +
        'amqps://orders-7f3a:s3cr%2Fet%2B@rabbit-2.example:5671/brom',
    );
    expect(settings.amqplibSnippet).toContain("process.env.AMQP_URLS.split(',')");
    expect(settings.amqplibSnippet).not.toContain('process.env.AMQP_URL)');
    expect(settings.amqplibSnippet).not.toContain(issued.secret);
  });
});
