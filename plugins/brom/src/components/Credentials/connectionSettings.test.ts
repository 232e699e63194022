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
      { amqpUrl: 'amqp://127.0.0.1:5673', vhost: 'brom', prefix: 'brom.' },
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
        amqpUrl: 'amqps://guest@rabbitmq.example.org',
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
});
