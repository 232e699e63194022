import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { ManagementClient } from './ManagementClient';
import {
  ManagementApiError,
  ManagementRequestError,
  isNotFoundError,
} from './errors';
import { encodeSegment } from './paths';

interface SeenRequest {
  method: string;
  /** The raw request target, exactly as it went over the wire. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (
  request: SeenRequest,
  response: ServerResponse,
) => void | Promise<void>;

/** A real HTTP server standing in for the management plugin. */
async function startFakeBroker(handler: Handler) {
  const seen: SeenRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const request: SeenRequest = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(request);
    await handler(request, res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    baseUrl: `http://127.0.0.1:${port}`,
    /** Connections the server accepted, to see whether the pool reused them. */
    connectionCount: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) =>
          error ? reject(error) : resolve(count),
        ),
      ),
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('encodeSegment', () => {
  it('encodes the default vhost and keeps dotted names readable', () => {
    expect(encodeSegment('/')).toBe('%2F');
    expect(encodeSegment('brom.orders')).toBe('brom.orders');
    expect(encodeSegment('a b#c?d%e')).toBe('a%20b%23c%3Fd%25e');
  });

  it('encodes names made only of dots, which URL normalisers would eat', () => {
    expect(encodeSegment('.')).toBe('%2E');
    expect(encodeSegment('..')).toBe('%2E%2E');
    expect(encodeSegment('..a')).toBe('..a');
  });

  it('refuses empty segments', () => {
    expect(() => encodeSegment('')).toThrow(/must not be empty/);
  });
});

describe('ManagementClient', () => {
  let broker: Awaited<ReturnType<typeof startFakeBroker>> | undefined;
  let client: ManagementClient | undefined;

  afterEach(async () => {
    await client?.close();
    await broker?.close();
    client = undefined;
    broker = undefined;
  });

  function connect(
    baseUrl: string,
    extra: Partial<Parameters<typeof ManagementClient.create>[0]> = {},
  ) {
    client = ManagementClient.create({
      baseUrl,
      username: 'admin',
      password: 'pa:ss',
      ...extra,
    });
    return client;
  }

  it('encodes every path segment and authenticates with basic auth', async () => {
    broker = await startFakeBroker((_req, res) => json(res, 200, {}));
    const c = connect(broker.baseUrl);

    await c.getQueue('/', 'brom.orders');
    await c.getExchange('team/a', '..');
    await c.putPermissions('/', 'app one', {
      configure: '',
      write: '^brom\\.orders$',
      read: '',
    });

    expect(broker.seen.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET /api/queues/%2F/brom.orders',
      'GET /api/exchanges/team%2Fa/%2E%2E',
      'PUT /api/permissions/%2F/app%20one',
    ]);
    expect(broker.seen[0].headers.authorization).toBe(
      `Basic ${Buffer.from('admin:pa:ss').toString('base64')}`,
    );
    expect(broker.seen[2].headers['content-type']).toBe('application/json');
    expect(JSON.parse(broker.seen[2].body)).toEqual({
      configure: '',
      write: '^brom\\.orders$',
      read: '',
    });
  });

  it('lists users, and the permissions and topic permissions of a vhost', async () => {
    broker = await startFakeBroker((_req, res) => json(res, 200, []));
    const c = connect(broker.baseUrl);

    await c.listUsers();
    await c.listVhostPermissions('/');
    await c.listVhostTopicPermissions('brom');
    await c.putTopicPermissions('brom', 'orders.abcd2345', {
      exchange: 'brom.orders',
      write: '(?s)^(?:(?=.)order\\.[^.]*\\.created)\\z',
      read: '(?!)',
    });

    expect(broker.seen.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET /api/users',
      'GET /api/vhosts/%2F/permissions',
      'GET /api/vhosts/brom/topic-permissions',
      'PUT /api/topic-permissions/brom/orders.abcd2345',
    ]);
    expect(JSON.parse(broker.seen[3].body)).toEqual({
      exchange: 'brom.orders',
      write: '(?s)^(?:(?=.)order\\.[^.]*\\.created)\\z',
      read: '(?!)',
    });
  });

  it('asks for columns and a rate window when listing queues and exchanges', async () => {
    broker = await startFakeBroker((_req, res) => json(res, 200, []));
    const c = connect(broker.baseUrl);
    const rates = { ageSeconds: 5, incrementSeconds: 5 };

    await c.listQueues('brom', { columns: ['name', 'consumers'], rates });
    await c.listExchanges('brom', { columns: ['name'], rates });
    await c.listExchanges('brom');

    expect(broker.seen.map(r => r.url)).toEqual([
      '/api/queues/brom?msg_rates_age=5&msg_rates_incr=5&columns=name%2Cconsumers',
      '/api/exchanges/brom?columns=name&msg_rates_age=5&msg_rates_incr=5',
      '/api/exchanges/brom',
    ]);
  });

  it('keeps a path prefix from the base URL', async () => {
    broker = await startFakeBroker((_req, res) => json(res, 200, []));
    const c = connect(`${broker.baseUrl}/rabbit/`);

    await c.listVhosts();

    expect(broker.seen[0].url).toBe('/rabbit/api/vhosts');
  });

  it('sends declare defaults that callers can override', async () => {
    broker = await startFakeBroker((_req, res) => {
      res.writeHead(201);
      res.end();
    });
    const c = connect(broker.baseUrl);

    await c.putExchange('/', 'brom.shop', { type: 'topic' });
    await c.putQueue('/', 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });

    expect(JSON.parse(broker.seen[0].body)).toEqual({
      type: 'topic',
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    });
    expect(JSON.parse(broker.seen[1].body)).toEqual({
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': 'quorum' },
    });
  });

  it('returns the properties key of a new binding and deletes by it', async () => {
    broker = await startFakeBroker((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(201, { location: 'brom.billing/orders.%252A' });
        res.end();
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    const c = connect(broker.baseUrl);

    const key = await c.bindQueue('/', 'brom.shop', 'brom.billing', {
      routing_key: 'orders.*',
    });
    await c.deleteBinding({
      vhost: '/',
      source: 'brom.shop',
      destination: 'brom.billing',
      destination_type: 'queue',
      properties_key: key,
    });
    await c.bindExchange('/', 'brom.shop', 'brom.audit', {
      routing_key: '#',
      arguments: { 'x-match': 'any' },
    });

    expect(key).toBe('orders.%2A');
    expect(broker.seen.map(r => `${r.method} ${r.url}`)).toEqual([
      'POST /api/bindings/%2F/e/brom.shop/q/brom.billing',
      'DELETE /api/bindings/%2F/e/brom.shop/q/brom.billing/orders.%252A',
      'POST /api/bindings/%2F/e/brom.shop/e/brom.audit',
    ]);
    expect(JSON.parse(broker.seen[2].body)).toEqual({
      routing_key: '#',
      arguments: { 'x-match': 'any' },
    });
  });

  it('passes delete conditions and the close reason', async () => {
    broker = await startFakeBroker((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const c = connect(broker.baseUrl);

    await c.deleteQueue('/', 'q', { ifEmpty: true, ifUnused: true });
    await c.deleteExchange('/', 'x', { ifUnused: true });
    await c.closeUserConnections('app-1', 'credential revoked');

    expect(broker.seen.map(r => `${r.method} ${r.url}`)).toEqual([
      'DELETE /api/queues/%2F/q?if-empty=true&if-unused=true',
      'DELETE /api/exchanges/%2F/x?if-unused=true',
      'DELETE /api/connections/username/app-1',
    ]);
    expect(broker.seen[2].headers['x-reason']).toBe('credential revoked');
  });

  it('throws ManagementApiError with status, method, path and body for non-2xx', async () => {
    broker = await startFakeBroker((_req, res) =>
      json(res, 404, { error: 'Object Not Found', reason: 'Not Found' }),
    );
    const c = connect(broker.baseUrl);

    const error = await c.getQueue('/', 'missing').catch(e => e);

    expect(error).toBeInstanceOf(ManagementApiError);
    expect(error).toMatchObject({
      status: 404,
      method: 'GET',
      path: '/api/queues/%2F/missing',
      reason: 'Not Found',
    });
    expect(error.body).toContain('Object Not Found');
    expect(error.message).toContain('GET /api/queues/%2F/missing answered 404');
    expect(isNotFoundError(error)).toBe(true);
  });

  it('treats 404 on delete as success only when asked to', async () => {
    broker = await startFakeBroker((_req, res) =>
      json(res, 404, { error: 'Object Not Found', reason: 'Not Found' }),
    );
    const c = connect(broker.baseUrl);

    await expect(
      c.deleteQueue('/', 'gone', { ignoreNotFound: true }),
    ).resolves.toBe(false);
    await expect(c.deleteQueue('/', 'gone')).rejects.toThrow(
      ManagementApiError,
    );
  });

  it('does not swallow other errors when ignoring 404', async () => {
    broker = await startFakeBroker((_req, res) =>
      json(res, 400, { error: 'bad_request', reason: 'queue not empty' }),
    );
    const c = connect(broker.baseUrl);

    const error = await c
      .deleteQueue('/', 'busy', { ifEmpty: true, ignoreNotFound: true })
      .catch(e => e);

    expect(error).toMatchObject({ status: 400, reason: 'queue not empty' });
    expect(isNotFoundError(error)).toBe(false);
  });

  it('consumes error bodies so one pooled connection keeps serving', async () => {
    broker = await startFakeBroker((req, res) =>
      req.url.endsWith('/ok')
        ? json(res, 200, { name: 'ok' })
        : json(res, 500, { error: 'boom', reason: 'x'.repeat(100_000) }),
    );
    // One connection and a body timeout far above the test timeout: an
    // unread body would block the next request on this connection.
    const c = connect(broker.baseUrl, {
      connections: 1,
      bodyTimeoutMs: 600_000,
    });

    for (let i = 0; i < 5; i++) {
      await expect(c.getQueue('/', 'fail')).rejects.toThrow(/answered 500/);
    }
    await expect(c.getQueue('/', 'ok')).resolves.toEqual({ name: 'ok' });
    expect(await broker.connectionCount()).toBe(1);
  });

  it('reports a headers timeout with method and path', async () => {
    broker = await startFakeBroker(() => {
      // never answers
    });
    const c = connect(broker.baseUrl, { headersTimeoutMs: 200 });

    const error = await c.listQueues('/').catch(e => e);

    expect(error).toBeInstanceOf(ManagementRequestError);
    expect(error).toMatchObject({
      method: 'GET',
      path: '/api/queues/%2F',
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(error.message).toMatch(/GET \/api\/queues\/%2F failed: .*timeout/i);
  });

  it('reports a body that stalls half way', async () => {
    broker = await startFakeBroker((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"name":');
    });
    const c = connect(broker.baseUrl, { bodyTimeoutMs: 200 });

    const error = await c.listVhosts().catch(e => e);

    expect(error).toBeInstanceOf(ManagementRequestError);
    expect(error.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(error.message).toContain('GET /api/vhosts failed');
  });

  it('reports a refused connection with method and path', async () => {
    broker = await startFakeBroker(() => undefined);
    const baseUrl = broker.baseUrl;
    await broker.close();
    broker = undefined;
    const c = connect(baseUrl);

    const error = await c.putVhost('brom').catch(e => e);

    expect(error).toBeInstanceOf(ManagementRequestError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toContain('PUT /api/vhosts/brom failed');
  });

  it('rejects a response that is not JSON', async () => {
    broker = await startFakeBroker((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    const c = connect(broker.baseUrl);

    await expect(c.getOverview()).rejects.toThrow(
      /GET \/api\/overview failed: response is not JSON/,
    );
  });
});

describe('ManagementClient with several base URLs', () => {
  const brokers: Array<Awaited<ReturnType<typeof startFakeBroker>>> = [];
  let client: ManagementClient | undefined;

  afterEach(async () => {
    await client?.close();
    await Promise.all(brokers.splice(0).map(broker => broker.close()));
    client = undefined;
  });

  async function cluster(...handlers: Handler[]) {
    for (const handler of handlers) {
      brokers.push(await startFakeBroker(handler));
    }
    return brokers;
  }

  function connect(
    baseUrl: string[],
    extra: Partial<Parameters<typeof ManagementClient.create>[0]> = {},
  ) {
    client = ManagementClient.create({
      baseUrl,
      username: 'admin',
      password: 'secret',
      ...extra,
    });
    return client;
  }

  const answers =
    (name: string): Handler =>
    (_req, res) =>
      json(res, 200, { name });

  it('sends to the first URL while it answers', async () => {
    const [first, second] = await cluster(answers('first'), answers('second'));
    const c = connect([first.baseUrl, second.baseUrl]);

    await expect(c.getVhost('a')).resolves.toEqual({ name: 'first' });
    await expect(c.getVhost('b')).resolves.toEqual({ name: 'first' });

    expect(first.seen.map(r => r.url)).toEqual(['/api/vhosts/a', '/api/vhosts/b']);
    expect(second.seen).toEqual([]);
  });

  it('fails over on a refused connection and stays on the node that answered', async () => {
    const [stopped, second, third] = await cluster(
      answers('stopped'),
      answers('second'),
      answers('third'),
    );
    const stoppedUrl = stopped.baseUrl;
    await stopped.close();
    brokers.shift();
    const c = connect([stoppedUrl, second.baseUrl, third.baseUrl]);

    await c.putVhost('brom');
    await expect(c.getVhost('brom')).resolves.toEqual({ name: 'second' });

    expect(second.seen.map(r => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'PUT /api/vhosts/brom {}',
      'GET /api/vhosts/brom ',
    ]);
    expect(third.seen).toEqual([]);
  });

  it('fails over on 503 and keeps the answering node current', async () => {
    const [booting, second] = await cluster(
      (_req, res) => json(res, 503, { error: 'not_ready' }),
      answers('second'),
    );
    const c = connect([booting.baseUrl, second.baseUrl]);

    await expect(c.getOverview()).resolves.toEqual({ name: 'second' });
    await expect(c.getOverview()).resolves.toEqual({ name: 'second' });

    expect(booting.seen).toHaveLength(1);
    expect(second.seen).toHaveLength(2);
  });

  it('fails over on a headers timeout', async () => {
    const [hung, second] = await cluster(() => {
      // never answers
    }, answers('second'));
    const c = connect([hung.baseUrl, second.baseUrl], { headersTimeoutMs: 200 });

    await expect(c.listQueues('/')).resolves.toEqual({ name: 'second' });
    expect(hung.seen).toHaveLength(1);
  });

  it('never repeats a message get or a purge on another node', async () => {
    const [dropping, second] = await cluster(
      (_req, res) => {
        res.socket?.destroy();
      },
      answers('second'),
    );
    const c = connect([dropping.baseUrl, second.baseUrl]);

    await expect(
      c.getMessages('brom', 'brom.billing.dlq', { count: 2 }),
    ).rejects.toBeInstanceOf(ManagementRequestError);
    await expect(c.purgeQueue('brom', 'brom.billing.dlq')).rejects.toBeInstanceOf(
      ManagementRequestError,
    );
    expect(dropping.seen.map(r => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /api/queues/brom/brom.billing.dlq/get {"count":2,"ackmode":"ack_requeue_true","encoding":"base64"}',
      'DELETE /api/queues/brom/brom.billing.dlq/contents ',
    ]);
    // The purge answers with no body: it must not ask for JSON (RabbitMQ answers 406).
    expect(dropping.seen[1].headers.accept).toBe('*/*');
    expect(second.seen).toEqual([]);
    // A declaration still goes on to the next node.
    await expect(c.getVhost('brom')).resolves.toEqual({ name: 'second' });
  });

  it('goes round to the first URL when a later current node fails', async () => {
    let secondUp = true;
    const [first, second] = await cluster(
      (() => {
        let calls = 0;
        return (_req, res) =>
          calls++ === 0
            ? json(res, 503, { error: 'not_ready' })
            : json(res, 200, { name: 'first' });
      })(),
      (_req, res) =>
        secondUp
          ? json(res, 200, { name: 'second' })
          : json(res, 503, { error: 'shutting_down' }),
    );
    const c = connect([first.baseUrl, second.baseUrl]);

    await expect(c.getOverview()).resolves.toEqual({ name: 'second' });
    secondUp = false;
    await expect(c.getOverview()).resolves.toEqual({ name: 'first' });
    await expect(c.getOverview()).resolves.toEqual({ name: 'first' });

    expect(first.seen).toHaveLength(3);
    expect(second.seen).toHaveLength(2);
  });

  it.each([400, 401, 404, 409, 500])(
    'does not fail over on %i: another node would answer the same',
    async status => {
      const [first, second] = await cluster(
        (_req, res) => json(res, status, { error: 'e', reason: 'r' }),
        answers('second'),
      );
      const c = connect([first.baseUrl, second.baseUrl]);

      const error = await c.getQueue('brom', 'q').catch(e => e);

      expect(error).toBeInstanceOf(ManagementApiError);
      expect(error.status).toBe(status);
      expect(second.seen).toEqual([]);
    },
  );

  it('throws the last node’s error when no node answers', async () => {
    const [first, second] = await cluster(
      (_req, res) => json(res, 503, { error: 'not_ready' }),
      () => undefined,
    );
    const secondUrl = second.baseUrl;
    await second.close();
    brokers.pop();
    const c = connect([first.baseUrl, secondUrl]);

    const error = await c.deleteQueue('brom', 'q').catch(e => e);

    expect(error).toBeInstanceOf(ManagementRequestError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(first.seen).toHaveLength(1);
  });

  it('keeps each URL’s own path prefix', async () => {
    const [first, second] = await cluster(
      (_req, res) => json(res, 503, {}),
      answers('second'),
    );
    const c = connect([`${first.baseUrl}/one/`, `${second.baseUrl}/two`]);

    await c.listVhosts();

    expect(first.seen.map(r => r.url)).toEqual(['/one/api/vhosts']);
    expect(second.seen.map(r => r.url)).toEqual(['/two/api/vhosts']);
  });

  it('refuses an empty list of URLs', () => {
    expect(() =>
      ManagementClient.create({ baseUrl: [], username: 'a', password: 'b' }),
    ).toThrow(/lists no URL/);
  });
});

describe('ManagementClient shovel calls on a cluster', () => {
  const brokers: Array<Awaited<ReturnType<typeof startFakeBroker>>> = [];
  let client: ManagementClient | undefined;

  afterEach(async () => {
    await client?.close();
    await Promise.all(brokers.splice(0).map(broker => broker.close()));
    client = undefined;
  });

  /**
   * Two fake nodes of one cluster, `rabbit@a` and `rabbit@b`, sharing one shovel
   * `s` in vhost `v` that runs on b. As on the real broker, every node lists
   * every node's shovel status and parameters; a delete only works on b (the
   * behaviour rabbitmq-server issue #2807 describes).
   */
  async function twoNodes() {
    const state = { parameter: true, running: true, ignoreDeletes: false };
    const ports: Record<string, number> = {};
    const node =
      (name: string): Handler =>
      (req, res) => {
        if (req.url === '/api/overview') {
          json(res, 200, {
            node: name,
            listeners: Object.entries(ports).map(([n, port]) => ({
              node: n,
              protocol: 'http',
              ip_address: '::',
              port,
              socket_opts: { ip: '127.0.0.1', port },
            })),
          });
        } else if (req.url === '/api/shovels/v') {
          json(
            res,
            200,
            state.running
              ? [{ name: 's', vhost: 'v', node: 'rabbit@b', type: 'dynamic', state: 'running' }]
              : [],
          );
        } else if (req.url === '/api/parameters/shovel/v/s') {
          if (state.parameter) {
            json(res, 200, { name: 's', vhost: 'v', component: 'shovel', value: {} });
          } else json(res, 404, { error: 'Object Not Found', reason: 'Not Found' });
        } else if (req.method === 'DELETE' && req.url === '/api/shovels/vhost/v/s') {
          if (state.ignoreDeletes) {
            res.writeHead(204).end();
          } else if (name === 'rabbit@b') {
            state.parameter = false;
            state.running = false;
            res.writeHead(204).end();
          } else {
            // The non-hosting node drops the parameter but not the running shovel.
            state.parameter = false;
            res.writeHead(204).end();
          }
        } else if (req.method === 'DELETE' && req.url === '/api/shovels/vhost/v/s/restart') {
          res.writeHead(name === 'rabbit@b' ? 204 : 404).end();
        } else {
          json(res, 404, { error: 'Object Not Found', reason: 'Not Found' });
        }
      };
    const a = await startFakeBroker(node('rabbit@a'));
    const b = await startFakeBroker(node('rabbit@b'));
    brokers.push(a, b);
    ports['rabbit@a'] = Number(new URL(a.baseUrl).port);
    ports['rabbit@b'] = Number(new URL(b.baseUrl).port);
    return { a, b, state };
  }

  const deletes = (broker: { seen: SeenRequest[] }) =>
    broker.seen.filter(r => r.method === 'DELETE').map(r => r.url);

  it('sends the delete to the configured URL of the node that runs the shovel', async () => {
    const { a, b, state } = await twoNodes();
    client = ManagementClient.create({
      baseUrl: [a.baseUrl, b.baseUrl],
      username: 'admin',
      password: 'secret',
    });

    await expect(client.deleteShovel('v', 's')).resolves.toBe(true);
    expect(deletes(a)).toEqual([]);
    expect(deletes(b)).toEqual(['/api/shovels/vhost/v/s']);
    expect(state).toMatchObject({ parameter: false, running: false });
  });

  it('finds a node that is not configured through the listeners of the overview', async () => {
    const { a, b } = await twoNodes();
    client = ManagementClient.create({
      baseUrl: a.baseUrl,
      username: 'admin',
      password: 'secret',
    });

    await expect(client.deleteShovel('v', 's')).resolves.toBe(true);
    expect(deletes(a)).toEqual([]);
    expect(deletes(b)).toEqual(['/api/shovels/vhost/v/s']);
    expect(b.seen[0].headers.authorization).toBe(
      `Basic ${Buffer.from('admin:secret').toString('base64')}`,
    );
  });

  it('restarts the shovel on its node', async () => {
    const { a, b } = await twoNodes();
    client = ManagementClient.create({
      baseUrl: a.baseUrl,
      username: 'admin',
      password: 'secret',
    });

    await expect(client.restartShovel('v', 's')).resolves.toBe(true);
    expect(deletes(a)).toEqual([]);
    expect(deletes(b)).toEqual(['/api/shovels/vhost/v/s/restart']);
  });

  it('answers 404 for a shovel that does not exist, unless told to ignore it', async () => {
    const { a, state } = await twoNodes();
    state.parameter = false;
    state.running = false;
    client = ManagementClient.create({
      baseUrl: a.baseUrl,
      username: 'admin',
      password: 'secret',
    });

    await expect(client.deleteShovel('v', 's')).rejects.toMatchObject({
      status: 404,
    });
    await expect(client.deleteShovel('v', 's', { ignoreNotFound: true })).resolves.toBe(false);
    await expect(client.restartShovel('v', 's', { ignoreNotFound: true })).resolves.toBe(false);
  });

  it('fails when the shovel is still reported after the delete', async () => {
    const { a, b, state } = await twoNodes();
    state.ignoreDeletes = true;
    client = ManagementClient.create({
      baseUrl: [a.baseUrl, b.baseUrl],
      username: 'admin',
      password: 'secret',
      shovelDeletionTimeoutMs: 300,
    });

    await expect(client.deleteShovel('v', 's')).rejects.toThrow(
      /still there after deletion: its runtime parameter, status running on rabbit@b/,
    );
    // Tried twice, each time on the node that runs it.
    expect(deletes(a)).toEqual([]);
    expect(deletes(b)).toEqual(['/api/shovels/vhost/v/s', '/api/shovels/vhost/v/s']);
  });

  it('sends the definition as the value of the shovel parameter', async () => {
    const broker = await startFakeBroker((_req, res) => {
      res.writeHead(201).end();
    });
    brokers.push(broker);
    client = ManagementClient.create({
      baseUrl: broker.baseUrl,
      username: 'admin',
      password: 'secret',
    });
    await client.putShovel('brom', 'brom.shop', {
      'src-uri': 'amqps://u:p@upstream.example/%2F',
      'src-queue': 'outbox',
      'dest-uri': 'amqp:///brom',
      'dest-exchange': 'brom.shop',
    });
    expect(broker.seen[0]).toMatchObject({
      method: 'PUT',
      url: '/api/parameters/shovel/brom/brom.shop',
    });
    expect(JSON.parse(broker.seen[0].body)).toEqual({
      value: {
        'src-protocol': 'amqp091',
        'dest-protocol': 'amqp091',
        'src-uri': 'amqps://u:p@upstream.example/%2F',
        'src-queue': 'outbox',
        'dest-uri': 'amqp:///brom',
        'dest-exchange': 'brom.shop',
      },
    });
  });
});
