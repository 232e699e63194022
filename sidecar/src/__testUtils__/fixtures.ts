import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, Agent, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthzSnapshot } from '@internal/brom-authz-snapshot';
import { SidecarConfig } from '../config';
import { hashSecret } from '../index/hash';
import { JsonLogger, Logger } from '../logger';

export const VHOST = 'brom';
export const PRODUCER_SECRET =
  'producer-secret-0123456789abcdef0123456789abcdef';
export const CONSUMER_SECRET =
  'consumer-secret-fedcba9876543210fedcba9876543210';
export const NOW = Date.parse('2026-11-21T12:00:00.000Z');

function credential(
  username: string,
  application: string,
  secret: string,
  expiresAt: string | null = null,
) {
  const salt = randomBytes(16).toString('hex');
  return {
    username,
    application,
    salt,
    hash: hashSecret(salt, secret),
    expiresAt,
  };
}

/**
 * A policy with a producer `orders` (exchange brom.orders, keys order.*.created and audit.#),
 * a consumer `billing` (queue brom.billing) with an expiring credential, and an application
 * `idle` with a credential and no permissions.
 */
export function makeSnapshot(
  version: number,
  overrides: Partial<AuthzSnapshot> = {},
): AuthzSnapshot {
  return {
    format: 1,
    version,
    generatedAt: new Date(NOW - 60_000).toISOString(),
    vhost: VHOST,
    credentials: [
      credential('orders-1', 'orders', PRODUCER_SECRET),
      credential(
        'billing-1',
        'billing',
        CONSUMER_SECRET,
        '2026-11-21T13:00:00.000Z',
      ),
      credential('idle-1', 'idle', 'idle-secret'),
    ],
    applications: [
      {
        name: 'orders',
        write: ['brom.orders'],
        read: [],
        topicWrite: [
          {
            exchange: 'brom.orders',
            routingKeyPatterns: ['order.*.created', 'audit.#'],
          },
        ],
      },
      { name: 'billing', write: [], read: ['brom.billing'], topicWrite: [] },
      { name: 'idle', write: [], read: [], topicWrite: [] },
    ],
    ...overrides,
  };
}

/** A logger that keeps its lines, so tests can read them (and check they hold no secrets). */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: JsonLogger.create({
      level: 'debug',
      sink: line => lines.push(line),
    }),
    lines,
  };
}

/** Polls until the check passes or the (generous) bound runs out; never a fixed sleep. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

export async function temporaryDirectory(): Promise<{
  path: string;
  remove: () => Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), 'brom-sidecar-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function testConfig(overrides: Partial<SidecarConfig>): SidecarConfig {
  return {
    portalUrls: ['http://127.0.0.1:9'],
    token: 'test-service-token',
    instanceId: 'sidecar-test',
    authHost: '127.0.0.1',
    authPort: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    snapshotPath: '/nonexistent/brom-sidecar/authz-snapshot.json',
    waitSeconds: 5,
    drainSeconds: 0,
    backoffInitialMs: 5,
    backoffMaxMs: 20,
    failedAuthBurst: 3,
    failedAuthRefillPerSecond: 0.01,
    maxBodyBytes: 8192,
    logLevel: 'debug',
    ...overrides,
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** One HTTP request with node:http, body returned as raw bytes. */
export function rawRequest(options: {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: Agent;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Asks the auth port a question the way the broker does with `auth_http.http_method = post`. */
export async function askPost(
  port: number,
  endpoint: 'user' | 'vhost' | 'resource' | 'topic',
  params: Record<string, string>,
  agent?: Agent,
): Promise<string> {
  const body = new URLSearchParams(params).toString();
  const response = await rawRequest({
    port,
    path: `/auth/${endpoint}`,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
    },
    body,
    agent,
  });
  if (response.status !== 200) {
    throw new Error(`auth port answered HTTP ${response.status}`);
  }
  return response.body.toString('latin1');
}
