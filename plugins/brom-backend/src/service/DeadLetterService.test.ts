import type { QueueMessage } from '@internal/rabbitmq-management';
import { toDeadLetterMessage } from './DeadLetterService';

/** A message as the management API's "get messages" gives it, payload base64-encoded. */
function message(
  payload: Buffer,
  overrides: Partial<QueueMessage> = {},
): QueueMessage {
  return {
    payload_bytes: payload.length,
    redelivered: false,
    exchange: 'brom.billing.dlx',
    routing_key: 'order.1.created',
    message_count: 0,
    properties: {},
    payload: payload.toString('base64'),
    payload_encoding: 'base64',
    ...overrides,
  };
}

describe('toDeadLetterMessage', () => {
  it('takes x-death apart and keeps the other properties and headers', () => {
    const shown = toDeadLetterMessage(
      message(Buffer.from('{"order":1}'), {
        redelivered: true,
        properties: {
          content_type: 'application/json',
          delivery_mode: 2,
          headers: {
            'x-first-death-reason': 'rejected',
            'x-death': [
              {
                count: 2,
                reason: 'rejected',
                queue: 'brom.billing',
                time: 1796290800,
                exchange: 'brom.orders',
                'routing-keys': ['order.1.created'],
              },
            ],
          },
        },
      }),
    );
    expect(shown).toEqual({
      routingKey: 'order.1.created',
      redelivered: true,
      deaths: [
        {
          reason: 'rejected',
          queue: 'brom.billing',
          time: new Date(1796290800 * 1000).toISOString(),
          count: 2,
          exchange: 'brom.orders',
          routingKeys: ['order.1.created'],
        },
      ],
      properties: { content_type: 'application/json', delivery_mode: 2 },
      headers: { 'x-first-death-reason': 'rejected' },
      payloadBytes: 11,
      payload: '{"order":1}',
      payloadEncoding: 'string',
      payloadTruncated: false,
    });
  });

  it('reads no properties from the empty list RabbitMQ sends for none', () => {
    const shown = toDeadLetterMessage(
      message(Buffer.from('x'), { properties: [] }),
    );
    expect(shown.properties).toEqual({});
    expect(shown.headers).toEqual({});
    expect(shown.deaths).toEqual([]);
  });

  it('shows bytes that are not text as base64', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const shown = toDeadLetterMessage(message(binary));
    expect(shown).toMatchObject({
      payload: binary.toString('base64'),
      payloadEncoding: 'base64',
      payloadBytes: 4,
    });
    // Valid UTF-8 with control characters is not shown as text either.
    const escape = Buffer.from('\u001b[31mred');
    expect(toDeadLetterMessage(message(escape)).payloadEncoding).toBe('base64');
    // Tabs and line breaks are text.
    expect(toDeadLetterMessage(message(Buffer.from('a\tb\r\nc'))).payload).toBe(
      'a\tb\r\nc',
    );
  });

  it('drops a character the truncation cut in half and says the payload is longer', () => {
    // "é" is two bytes: the broker's truncation to 4 bytes keeps "abc" and half of it.
    const whole = Buffer.from('abcé and more');
    const shown = toDeadLetterMessage(
      message(whole.subarray(0, 4), { payload_bytes: whole.length }),
    );
    expect(shown).toMatchObject({
      payload: 'abc',
      payloadEncoding: 'string',
      payloadTruncated: true,
      payloadBytes: whole.length,
    });
  });
});
