import type { BromSignal } from '@internal/plugin-brom-common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { WebSocket } from 'undici';
import { createTestDatabase, TestDatabase } from '../postgres';
import { findFreePorts, pollUntil } from '../process';
import {
  BackendProcess,
  dropPluginDatabases,
} from '../reconciler/__utils__/backendProcess';
import { ALICE, TEAM_A } from '../reconciler/__utils__/bromBackend';

/*
 * Signals across replicas: two backend processes on one PostgreSQL database, each with the
 * events backend as packages/backend installs it (replicaBackendMain.ts). Alice signs in and
 * opens signals connections the way the signals frontend does (her Backstage token as the
 * WebSocket protocol, then a `subscribe` message); changes go through replica A's REST API.
 *
 * Which replica publishes a change's signal is whichever claims BROM's `signals` cursor
 * first; the other hears it only through the bus. So a change is heard on a connection to
 * each replica, and the bus's own table shows the event it carried for the replica that did
 * not publish it.
 */

const ORG = `
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: team-a }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [team-a] }
`;

/** How long one connection attempt may take before it is given up and made again. */
const CONNECT_ATTEMPT_MS = 5_000;

/** Generous: two backends and their long polls share two loaded cores with other tests. */
const HEAR_WITHIN_MS = 60_000;

interface Heard {
  channel: string;
  message: BromSignal;
}

/** A signals connection as `@backstage/plugin-signals`' SignalClient opens one. */
class SignalSocket {
  readonly heard: Heard[] = [];
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', event => {
      this.heard.push(JSON.parse(String(event.data)));
    });
  }

  /**
   * Opens `ws://…/api/signals` with `token` as the protocol, retrying as the frontend does.
   * The signals backend hooks the server's upgrade event only when it first sees a WebSocket
   * request, and that first request is never answered; the frontend gives up on a
   * connection that has not opened after its connect timeout (1 s) and connects again. Here
   * an attempt gets 5 s.
   */
  static async open(port: number, token: string): Promise<SignalSocket> {
    const url = `ws://127.0.0.1:${port}/api/signals`;
    return pollUntil(
      () =>
        new Promise<SignalSocket | undefined>(resolve => {
          const ws = new WebSocket(url, token);
          const giveUp = setTimeout(() => {
            ws.close();
            resolve(undefined);
          }, CONNECT_ATTEMPT_MS);
          ws.addEventListener('open', () => {
            clearTimeout(giveUp);
            resolve(new SignalSocket(ws));
          });
          ws.addEventListener('close', () => {
            clearTimeout(giveUp);
            resolve(undefined);
          });
        }),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: () => `no signals connection to ${url}`,
      },
    );
  }

  subscribe(channel: string) {
    this.#ws.send(JSON.stringify({ action: 'subscribe', channel }));
  }

  /** What it heard about application `name`. */
  about(name: string): Heard[] {
    return this.heard.filter(h => h.message.applications?.includes(name));
  }

  /** Closes the connection and waits for the close handshake. */
  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise(resolve => {
      this.#ws.addEventListener('close', () => resolve());
      this.#ws.close();
    });
  }
}

describe('signals between two backend replicas', () => {
  let dir: string;
  let database: TestDatabase;
  const backends: BackendProcess[] = [];
  const sockets: SignalSocket[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brom-signals-'));
    database = await createTestDatabase();
    await writeFile(join(dir, 'org.yaml'), ORG);
    const ports = await findFreePorts(2);
    // One after the other: two backends creating their plugins' tables in an empty database
    // at the same moment race in Backstage's own migrations (as in the leader test).
    for (const [i, port] of ports.entries()) {
      backends.push(
        await BackendProcess.start({
          port,
          database,
          dir,
          name: `replica-${'ab'[i]}`,
          main: require.resolve('./replicaBackendMain'),
          brom: {
            reconciler: { enabled: false },
            notifications: { enabled: false },
          },
          config: {
            app: { baseUrl: 'http://127.0.0.1:3000' },
            auth: {
              environment: 'development',
              providers: {
                development: { users: [{ id: 'alice', userEntityRef: ALICE }] },
              },
            },
            catalog: {
              rules: [{ allow: ['User', 'Group'] }],
              locations: [{ type: 'file', target: join(dir, 'org.yaml') }],
            },
            // As app-config.production.yaml has it.
            events: { useEventBus: 'always' },
          },
        }),
      );
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(sockets.map(s => s.close()));
    await Promise.all(backends.map(b => b.stop()));
    if (database) {
      await dropPluginDatabases(database);
      await database.drop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const [a, b] = [0, 1];

  function logs() {
    return backends
      .map((backend, i) => `--- replica ${'ab'[i]}:\n${backend.logTail()}`)
      .join('\n');
  }

  /** Signs Alice in on `replica` through the development users provider, once the catalog has her team. */
  async function signIn(replica: number): Promise<string> {
    return pollUntil(
      async () => {
        const res = await fetch(
          `http://127.0.0.1:${backends[replica].port}/api/auth/development/refresh`,
          { headers: { 'x-brom-development-user': 'alice' } },
        ).catch(() => undefined);
        if (!res?.ok) return undefined;
        const { backstageIdentity } = await res.json();
        return backstageIdentity.identity.ownershipEntityRefs.includes(TEAM_A)
          ? (backstageIdentity.token as string)
          : undefined;
      },
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        describe: () => `Alice could not sign in with team-a:\n${logs()}`,
      },
    );
  }

  async function register(replica: number, token: string, name: string) {
    const res = await fetch(
      `http://127.0.0.1:${backends[replica].port}/api/brom/applications`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name, owner: TEAM_A }),
      },
    );
    if (res.status !== 201) {
      throw new Error(
        `registering ${name} answered ${res.status}: ${await res.text()}`,
      );
    }
  }

  async function open(replica: number, token: string, channel: string) {
    const socket = await SignalSocket.open(backends[replica].port, token);
    sockets.push(socket);
    socket.subscribe(channel);
    return socket;
  }

  /** The bus's subscriptions and the signals events it stored, from the events plugin's database. */
  async function bus() {
    const client = new Client({
      ...database.connection,
      database: `${database.name}_events`,
    });
    await client.connect();
    try {
      const subscriptions = await client.query<{ id: string }>(
        "SELECT id FROM event_bus_subscriptions WHERE 'signals' = ANY(topics) ORDER BY id",
      );
      const events = await client.query<{
        data_json: string;
        notified_subscribers: string[];
      }>(
        "SELECT data_json, notified_subscribers FROM event_bus_events WHERE topic = 'signals' ORDER BY id",
      );
      return {
        subscriptions: subscriptions.rows.map(r => r.id),
        events: events.rows.map(r => ({
          message: JSON.parse(r.data_json).payload.message as BromSignal,
          notified: r.notified_subscribers,
        })),
      };
    } finally {
      await client.end();
    }
  }

  it('brings a change on replica A to pages open on B, on the channel they subscribed to only', async () => {
    const token = await signIn(a);
    const onA = await open(a, token, 'brom');
    const onB = await open(b, token, 'brom');
    const elsewhereOnB = await open(b, token, 'notifications');

    // Nothing acknowledges a `subscribe` message, nor the signals backend's subscription on
    // the bus, so changes are made until one is heard on both connections.
    let warmups = 0;
    const heardWarmup = (s: SignalSocket) =>
      s.heard.some(h =>
        h.message.applications?.some(name => name.startsWith('warmup-')),
      );
    await pollUntil(
      async () => {
        if (heardWarmup(onA) && heardWarmup(onB)) return true;
        await register(a, token, `warmup-${++warmups}`);
        return undefined;
      },
      {
        // A replica's subscription on the bus is retried with a backoff of up to 60 s when
        // its first attempts come before the events backend has started.
        timeoutMs: 180_000,
        intervalMs: 1_000,
        describe: () =>
          `no warm-up change was heard on both replicas:\n${logs()}`,
      },
    );
    // Each replica's signals backend holds a subscription of its own on the one bus.
    const { subscriptions } = await bus();
    expect(subscriptions).toHaveLength(2);
    expect(subscriptions.every(id => id.startsWith('signals.signals-'))).toBe(
      true,
    );

    await register(a, token, 'orders');
    const expected: Heard = {
      channel: 'brom',
      message: {
        kind: 'change',
        type: 'application.registered',
        applications: ['orders'],
      },
    };
    await pollUntil(
      async () =>
        onA.about('orders').length > 0 && onB.about('orders').length > 0
          ? true
          : undefined,
      {
        timeoutMs: HEAR_WITHIN_MS,
        intervalMs: 100,
        describe: () =>
          `heard on A: ${JSON.stringify(
            onA.about('orders'),
          )}, on B: ${JSON.stringify(onB.about('orders'))}\n${logs()}`,
      },
    );
    expect(onB.about('orders')[0]).toEqual(expected);
    expect(onA.about('orders')[0]).toEqual(expected);
    // The replica that published it notified its own connections itself; the bus stored it
    // for the other replica's subscription only.
    const carried = (await bus()).events.filter(e =>
      e.message.applications.includes('orders'),
    );
    expect(carried).toHaveLength(1);
    expect(carried[0].message).toEqual(expected.message);
    expect(carried[0].notified).toHaveLength(1);
    expect(subscriptions).toContain(carried[0].notified[0]);

    // The third connection, on B, subscribed to another channel: B sent it none of the above
    // (its connection to B was open before any of them). Once it subscribes to BROM's channel
    // it hears the changes after that, and the first thing it hears is one of those: messages
    // on one connection arrive in order, so nothing earlier was sent to it either.
    expect(elsewhereOnB.heard).toEqual([]);
    elsewhereOnB.subscribe('brom');
    let later = 0;
    await pollUntil(
      async () => {
        if (elsewhereOnB.heard.length > 0) return true;
        await register(a, token, `later-${++later}`);
        return undefined;
      },
      {
        timeoutMs: HEAR_WITHIN_MS,
        intervalMs: 1_000,
        describe: () =>
          `the connection that subscribed late heard nothing:\n${logs()}`,
      },
    );
    for (const { channel, message } of elsewhereOnB.heard) {
      expect(channel).toBe('brom');
      expect(message.applications[0]).toMatch(/^later-/);
    }
  }, 480_000);
});
