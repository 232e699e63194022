import { connect, Socket } from 'node:net';
import { startSidecar, SidecarHandle } from '../main';
import { hashSecret } from '../index/hash';
import { FakePortal } from '../__testUtils__/FakePortal';
import {
  NOW,
  PRODUCER_SECRET,
  VHOST,
  askPost,
  makeSnapshot,
  memoryLogger,
  rawRequest,
  temporaryDirectory,
  testConfig,
  waitFor,
} from '../__testUtils__/fixtures';

// Real sockets and a real portal: allow a loaded CI machine more than Jest's 5 s; waitFor's own
// bounds name what did not happen.
jest.setTimeout(30_000);

const SPACED_SECRET = 'with space+plus&amp=';

describe('auth port', () => {
  let portal: FakePortal;
  let sidecar: SidecarHandle;
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await temporaryDirectory();
    portal = await FakePortal.start();
    const snapshot = makeSnapshot(1);
    const salt = 'ab'.repeat(16);
    snapshot.credentials.push({
      username: 'spaced user',
      application: 'orders',
      salt,
      hash: hashSecret(salt, SPACED_SECRET),
      expiresAt: null,
    });
    portal.publish(snapshot);
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath: `${dir.path}/snapshot.json`,
      }),
      { logger: memoryLogger().logger },
    );
    await waitFor(() => sidecar.version === 1, 'the first snapshot');
  });

  afterAll(async () => {
    await sidecar.stop({ drainMs: 0 });
    await portal.close();
    await dir.remove();
  });

  it('answers GET queries with exactly allow or deny, status 200, no newline', async () => {
    const allow = await rawRequest({
      port: sidecar.authPort,
      path: `/auth/user?username=orders-1&password=${encodeURIComponent(
        PRODUCER_SECRET,
      )}`,
    });
    expect(allow.status).toBe(200);
    expect(allow.body.toString('latin1')).toBe('allow');
    expect(allow.headers['content-length']).toBe('5');

    const deny = await rawRequest({
      port: sidecar.authPort,
      path: '/auth/user?username=orders-1&password=wrong',
    });
    expect(deny.status).toBe(200);
    expect(deny.body.toString('latin1')).toBe('deny');
    expect(deny.headers['content-length']).toBe('4');
  });

  it('answers all four endpoints by POST form body', async () => {
    const port = sidecar.authPort;
    expect(
      await askPost(port, 'user', {
        username: 'orders-1',
        password: PRODUCER_SECRET,
      }),
    ).toBe('allow');
    expect(
      await askPost(port, 'vhost', {
        username: 'orders-1',
        vhost: VHOST,
        ip: '127.0.0.1',
        tags: '',
      }),
    ).toBe('allow');
    expect(
      await askPost(port, 'resource', {
        username: 'orders-1',
        vhost: VHOST,
        resource: 'exchange',
        name: 'brom.orders',
        permission: 'write',
        tags: '',
      }),
    ).toBe('allow');
    expect(
      await askPost(port, 'resource', {
        username: 'orders-1',
        vhost: VHOST,
        resource: 'exchange',
        name: 'amq.default',
        permission: 'write',
        tags: '',
      }),
    ).toBe('deny');
    expect(
      await askPost(port, 'topic', {
        username: 'orders-1',
        vhost: VHOST,
        resource: 'topic',
        name: 'brom.orders',
        permission: 'write',
        routing_key: 'order.7.created',
        'variable_map.username': 'orders-1',
        'variable_map.vhost': VHOST,
      }),
    ).toBe('allow');
    expect(
      await askPost(port, 'topic', {
        username: 'orders-1',
        vhost: VHOST,
        resource: 'topic',
        name: 'brom.orders',
        permission: 'write',
        routing_key: 'order.7.deleted',
      }),
    ).toBe('deny');
  });

  it('decodes + as a space and percent escapes, in bodies and queries', async () => {
    const body = 'username=spaced+user&password=with+space%2Bplus%26amp%3D';
    const post = await rawRequest({
      port: sidecar.authPort,
      path: '/auth/user',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(post.body.toString('latin1')).toBe('allow');
    const get = await rawRequest({
      port: sidecar.authPort,
      path: `/auth/user?${body}`,
    });
    expect(get.body.toString('latin1')).toBe('allow');
    const literalPlus = await rawRequest({
      port: sidecar.authPort,
      path: '/auth/user?username=spaced+user&password=with+space+plus%26amp%3D',
    });
    expect(literalPlus.body.toString('latin1')).toBe('deny');
  });

  it('answers 200 deny to requests missing parameters or with nonsense', async () => {
    for (const path of [
      '/auth/user',
      '/auth/vhost?',
      '/auth/resource?x=1',
      '/auth/topic?%zz=%',
    ]) {
      const response = await rawRequest({ port: sidecar.authPort, path });
      expect([path, response.status, response.body.toString('latin1')]).toEqual(
        [path, 200, 'deny'],
      );
    }
  });

  it('answers 404 to unknown paths and 405 to other methods', async () => {
    expect(
      (await rawRequest({ port: sidecar.authPort, path: '/auth/users' }))
        .status,
    ).toBe(404);
    expect(
      (await rawRequest({ port: sidecar.authPort, path: '/' })).status,
    ).toBe(404);
    expect(
      (
        await rawRequest({
          port: sidecar.authPort,
          path: '/auth/user',
          method: 'PUT',
        })
      ).status,
    ).toBe(405);
  });

  it('denies an oversized body, declared or streamed', async () => {
    const padding = 'x'.repeat(9 * 1024);
    const declared = await rawRequest({
      port: sidecar.authPort,
      path: '/auth/user',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=orders-1&password=${encodeURIComponent(
        PRODUCER_SECRET,
      )}&pad=${padding}`,
    });
    expect([declared.status, declared.body.toString('latin1')]).toEqual([
      200,
      'deny',
    ]);

    const streamed = await rawRequest({
      port: sidecar.authPort,
      path: '/auth/user',
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'transfer-encoding': 'chunked',
      },
      body: `username=orders-1&password=${encodeURIComponent(
        PRODUCER_SECRET,
      )}&pad=${padding}`,
    });
    expect([streamed.status, streamed.body.toString('latin1')]).toEqual([
      200,
      'deny',
    ]);
  });

  it('keeps a keep-alive connection open across answers, byte-exact on the wire', async () => {
    const socket = connect(sidecar.authPort, '127.0.0.1');
    await new Promise<void>(resolve => socket.once('connect', () => resolve()));
    try {
      const body = `username=orders-1&password=${encodeURIComponent(
        PRODUCER_SECRET,
      )}`;
      for (let i = 0; i < 3; i++) {
        const raw = await exchange(
          socket,
          `POST /auth/user HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          'allow',
        );
        expect(raw.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
        expect(raw.endsWith('\r\n\r\nallow')).toBe(true);
        expect(raw.toLowerCase()).toContain('connection: keep-alive');
        const get = await exchange(
          socket,
          'GET /auth/vhost?username=nobody&vhost=brom HTTP/1.1\r\nHost: x\r\n\r\n',
          'deny',
        );
        expect(get.endsWith('\r\n\r\ndeny')).toBe(true);
      }
      expect(socket.destroyed).toBe(false);
    } finally {
      socket.destroy();
    }
  });

  it('answers many connections at once, each its own answer, while others hang up unanswered', async () => {
    // Answers of one event-loop turn are written together: each must still reach its own
    // socket, a socket that is gone by then must not keep the others from theirs, and
    // pipelined requests must be answered in order.
    const userBody = (password: string) =>
      `username=orders-1&password=${encodeURIComponent(password)}`;
    const post = (body: string) =>
      `POST /auth/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const open = async () => {
      const socket = connect(sidecar.authPort, '127.0.0.1');
      await new Promise<void>(resolve =>
        socket.once('connect', () => resolve()),
      );
      return socket;
    };
    const sockets = await Promise.all(Array.from({ length: 40 }, open));
    const leaving = await Promise.all(Array.from({ length: 10 }, open));
    try {
      const answers = Promise.all(
        sockets.map((socket, i) =>
          exchange(
            socket,
            post(userBody(i % 2 === 0 ? PRODUCER_SECRET : 'wrong')),
            i % 2 === 0 ? 'allow' : 'deny',
          ).then(raw => raw.slice(raw.indexOf('\r\n\r\n') + 4)),
        ),
      );
      for (const socket of leaving) {
        socket.write(post(userBody(PRODUCER_SECRET)));
        socket.destroy();
      }
      expect(await answers).toEqual(
        sockets.map((_, i) => (i % 2 === 0 ? 'allow' : 'deny')),
      );

      const pipelined = await new Promise<string>((resolve, reject) => {
        let received = '';
        const socket = sockets[0];
        socket.on('data', chunk => {
          received += chunk.toString('latin1');
          if ((received.match(/HTTP\/1\.1 200/g) ?? []).length === 3) {
            resolve(received);
          }
        });
        socket.once('close', () => reject(new Error(`closed: ${received}`)));
        socket.write(
          post(userBody(PRODUCER_SECRET)) +
            post(userBody('wrong')) +
            post(userBody(PRODUCER_SECRET)),
        );
      });
      expect(
        pipelined
          .split(/HTTP\/1\.1 200 OK\r\n/)
          .slice(1)
          .map(response => response.slice(response.indexOf('\r\n\r\n') + 4)),
      ).toEqual(['allow', 'deny', 'allow']);
    } finally {
      for (const socket of sockets) {
        socket.destroy();
      }
    }
  });

  it('serves one-shot Connection: close requests too', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        rawRequest({
          port: sidecar.authPort,
          path: '/auth/vhost?username=orders-1&vhost=brom',
          headers: { connection: 'close' },
        }),
      ),
    );
    expect(new Set(responses.map(r => r.body.toString('latin1')))).toEqual(
      new Set(['allow']),
    );
  });
});

describe('malformed requests on the auth port', () => {
  let portal: FakePortal;
  let sidecar: SidecarHandle;
  let dir: { path: string; remove: () => Promise<void> };
  let clock = NOW;
  let lines: string[];

  beforeAll(async () => {
    dir = await temporaryDirectory();
    portal = await FakePortal.start();
    portal.publish(makeSnapshot(1));
    const memory = memoryLogger();
    lines = memory.lines;
    sidecar = await startSidecar(
      testConfig({
        portalUrls: [portal.url],
        snapshotPath: `${dir.path}/snapshot.json`,
      }),
      { logger: memory.logger, now: () => clock },
    );
    await waitFor(() => sidecar.version === 1, 'the first snapshot');
  });

  afterAll(async () => {
    await sidecar.stop({ drainMs: 0 });
    await portal.close();
    await dir.remove();
  });

  const warnings = () =>
    lines
      .map(line => JSON.parse(line))
      .filter(entry => entry.msg.startsWith('Malformed request'));

  it('answers 400 with a short reason, or 431 for oversized headers, and closes the connection', async () => {
    const garbage = await sendRaw(
      sidecar.authPort,
      'BREW /auth/user HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage).toMatch(/\r\nconnection: close\r\n/i);
    expect(garbage).toMatch(
      /\r\n\r\nmalformed HTTP request \(HPE_INVALID_METHOD\)\n$/,
    );

    const badHeader = await sendRaw(
      sidecar.authPort,
      'POST /auth/user HTTP/1.1\r\nHost: x\r\nContent Length: 3\r\n\r\nabc',
    );
    expect(badHeader).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(badHeader).toContain(
      'malformed HTTP request (HPE_INVALID_HEADER_TOKEN)',
    );

    const hugeHeader = await sendRaw(
      sidecar.authPort,
      `GET /auth/user?username=orders-1&password=${encodeURIComponent(
        PRODUCER_SECRET,
      )} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'x'.repeat(10 * 1024)}\r\n\r\n`,
    );
    expect(hugeHeader).toMatch(
      /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/,
    );
    expect(hugeHeader).not.toContain('allow');
  });

  it('never lets a malformed request turn an earlier answer on the connection into an allow', async () => {
    const valid = `GET /auth/user?username=orders-1&password=${encodeURIComponent(
      PRODUCER_SECRET,
    )} HTTP/1.1\r\nHost: x\r\n\r\n`;
    // Answered one at a time, the valid request gets its allow and the garbage its 400.
    const socket = connect(sidecar.authPort, '127.0.0.1');
    await new Promise<void>(resolve => socket.once('connect', () => resolve()));
    try {
      expect(await exchange(socket, valid, 'allow')).toMatch(/\r\n\r\nallow$/);
    } finally {
      socket.destroy();
    }
    // Sent together, the garbage is refused while the allow still waits to be written: the
    // connection gets the 400 and nothing after it.
    const together = await sendRaw(
      sidecar.authPort,
      `${valid}BREW / HTTP/1.1\r\n\r\n`,
    );
    expect(together).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(together).not.toContain('allow');
  });

  it('warns at most once per 10 seconds, counting the requests it did not log', async () => {
    const before = warnings().length;
    clock += 60_000;
    for (let i = 0; i < 3; i++) {
      await sendRaw(sidecar.authPort, 'BREW / HTTP/1.1\r\n\r\n');
    }
    expect(warnings().slice(before)).toEqual([
      expect.objectContaining({
        level: 'warn',
        answered: true,
        code: 'HPE_INVALID_METHOD',
        error: 'Parse Error: Invalid method encountered',
        suppressedSinceLast: expect.any(Number),
      }),
    ]);

    clock += 9_999;
    await sendRaw(sidecar.authPort, 'BREW / HTTP/1.1\r\n\r\n');
    expect(warnings().length).toBe(before + 1);

    clock += 1;
    await sendRaw(sidecar.authPort, 'BREW / HTTP/1.1\r\n\r\n');
    expect(warnings().slice(before + 1)).toEqual([
      expect.objectContaining({ level: 'warn', suppressedSinceLast: 3 }),
    ]);
    // A well-formed request is still an ordinary 200 answer.
    expect(
      await askPost(sidecar.authPort, 'vhost', {
        username: 'orders-1',
        vhost: VHOST,
      }),
    ).toBe('allow');
  });
});

/** Writes raw bytes on a new connection and resolves with everything read until it closes. */
function sendRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', chunk => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(request);
  });
}

/** Writes one request and reads until the response ends with the expected body. */
function exchange(
  socket: Socket,
  request: string,
  expectedBody: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    function onData(chunk: Buffer) {
      received += chunk.toString('latin1');
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd !== -1) {
        const length = Number(
          /content-length: (\d+)/i.exec(received)?.[1] ?? -1,
        );
        if (received.length - headerEnd - 4 >= length) {
          cleanup();
          resolve(received);
        }
      }
    }
    function onClose() {
      cleanup();
      reject(
        new Error(
          `connection closed; received ${JSON.stringify(
            received,
          )}, wanted ${expectedBody}`,
        ),
      );
    }
    function cleanup() {
      socket.off('data', onData);
      socket.off('close', onClose);
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(request);
  });
}
