import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';

/** Who sends a request: a user entity ref, a service, or nobody. */
export type Caller = string | { service: string } | 'anonymous';

export const SERVICE: Caller = { service: 'external:test-service' };
export const CATALOG: Caller = { service: 'plugin:catalog' };
export const ANONYMOUS: Caller = 'anonymous';

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** A body sent as is, e.g. invalid JSON or an oversized document. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The status the test expects; anything else fails with the response body. */
  expect?: number;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Record<string, string>;
  text: string;
}

function authorization(caller: Caller): string | undefined {
  if (caller === 'anonymous') return undefined;
  if (typeof caller === 'string') return mockCredentials.user.header(caller);
  // The plain mock service token, exactly as `mockCredentials.service.header()` gives it.
  if (caller === SERVICE) return mockCredentials.service.header();
  return mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(caller.service),
    targetPluginId: 'brom',
  });
}

/**
 * A BROM API client for tests. The test backend validates every request against openapi.yaml
 * (as in production) and every JSON response too (`brom.api.validateResponses`): a response
 * the document does not describe, or a status it does not list, is a 500 the test sees.
 */
export class BromTestClient {
  readonly #server: any;

  constructor(server: any) {
    this.#server = server;
  }

  async call(
    caller: Caller,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    template: string,
    options: CallOptions = {},
  ): Promise<ApiResponse> {
    const path = template.replace(/\{([^}]+)\}/g, (_, name) => {
      const value = options.params?.[name];
      if (value === undefined)
        throw new Error(`No value for {${name}} in ${template}`);
      return encodeURIComponent(value);
    });
    let req = request(this.#server)[method.toLowerCase() as 'get'](
      `/api/brom${path}`,
    );
    const auth = authorization(caller);
    if (auth) req = req.set('Authorization', auth);
    for (const [name, value] of Object.entries(options.headers ?? {}))
      req = req.set(name, value);
    if (options.query) req = req.query(options.query);
    if (options.rawBody !== undefined) {
      req = req.set('Content-Type', 'application/json').send(options.rawBody);
    } else if (options.body !== undefined) {
      req = req.send(options.body as object);
    }
    const res = await req;
    const response: ApiResponse = {
      status: res.status,
      body: res.body,
      headers: res.headers as Record<string, string>,
      text: res.text,
    };
    if (options.expect !== undefined && res.status !== options.expect) {
      throw new Error(
        `${method} ${path} as ${describeCaller(caller)}: expected ${
          options.expect
        }, got ${res.status}: ${res.text.slice(0, 1000)}`,
      );
    }
    return response;
  }

  get(caller: Caller, template: string, options?: CallOptions) {
    return this.call(caller, 'GET', template, options);
  }

  post(caller: Caller, template: string, options?: CallOptions) {
    return this.call(caller, 'POST', template, options);
  }

  patch(caller: Caller, template: string, options?: CallOptions) {
    return this.call(caller, 'PATCH', template, options);
  }

  delete(caller: Caller, template: string, options?: CallOptions) {
    return this.call(caller, 'DELETE', template, options);
  }
}

function describeCaller(caller: Caller) {
  if (caller === 'anonymous') return 'nobody';
  if (typeof caller === 'string') return caller;
  return caller.service;
}

let counter = 0;

/** A name no other test uses: `<prefix>-<n>`, valid as an application or type name. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}
