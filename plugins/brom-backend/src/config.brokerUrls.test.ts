import { ConfigReader } from '@backstage/config';
import { readBromConfig } from './config';

describe('the broker URLs in readBromConfig', () => {
  const read = (broker: Record<string, string | string[]>) =>
    readBromConfig(new ConfigReader({ brom: { broker } }));

  it('takes one URL per node of a cluster', () => {
    const config = read({
      managementUrls: ['http://rabbit-1:15672', 'http://rabbit-2:15672'],
      amqpUrls: ['amqps://rabbit-1', 'amqps://rabbit-2'],
    });
    expect(config.broker.managementUrls).toEqual([
      'http://rabbit-1:15672',
      'http://rabbit-2:15672',
    ]);
    expect(config.amqpUrls).toEqual(['amqps://rabbit-1', 'amqps://rabbit-2']);
  });

  it('still takes the single-URL form, as for a load balancer', () => {
    const config = read({
      managementUrl: 'http://rabbitmq.example:15672',
      amqpUrl: 'amqps://rabbitmq.example',
    });
    expect(config.broker.managementUrls).toEqual(['http://rabbitmq.example:15672']);
    expect(config.amqpUrls).toEqual(['amqps://rabbitmq.example']);
  });

  it('is empty when no broker is configured', () => {
    const config = read({});
    expect(config.broker.managementUrls).toEqual([]);
    expect(config.amqpUrls).toEqual([]);
  });

  it('refuses both forms of one setting', () => {
    expect(() =>
      read({ managementUrl: 'http://a:15672', managementUrls: ['http://b:15672'] }),
    ).toThrow('Set brom.broker.managementUrls or brom.broker.managementUrl, not both');
    expect(() => read({ amqpUrl: 'amqp://a', amqpUrls: ['amqp://b'] })).toThrow(
      'Set brom.broker.amqpUrls or brom.broker.amqpUrl, not both',
    );
  });
});
