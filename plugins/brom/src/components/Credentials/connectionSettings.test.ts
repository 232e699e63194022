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
      issued,
    );
    expect(settings.environment).toBe(
      'AMQP_URL=amqp://orders-7f3a:s3cr%2Fet%2B@127.0.0.1:5673/brom',
    );
  });

  it('lists every node of a cluster, and gives one URL per node', () => {
    const settings = connectionSettings(
      {
        amqpUrls: ['amqps://rabbit-1.example', 'amqps://rabbit-2.example:5671'],
        vhost: 'brom',
        prefix: 'brom.',
      },
      issued,
    );
    expect(settings.environment).toBe(
      'AMQP_URLS=amqps://orders-7f3a:s3cr%2Fet%2B@rabbit-1.example/brom,' +
        'amqps://orders-7f3a:s3cr%2Fet%2B@rabbit-2.example:5671/brom',
    );
  });
});
