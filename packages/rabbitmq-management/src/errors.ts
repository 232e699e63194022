/**
 * The management API answered with a status outside 2xx.
 *
 * @public
 */
export class ManagementApiError extends Error {
  override readonly name = 'ManagementApiError';
  readonly status: number;
  readonly method: string;
  readonly path: string;
  /** The response body as text (RabbitMQ sends `{"error":…,"reason":…}`). */
  readonly body: string;

  constructor(options: {
    status: number;
    method: string;
    path: string;
    body: string;
  }) {
    super(
      `RabbitMQ management API ${options.method} ${options.path} answered ${
        options.status
      }${describeBody(options.body)}`,
    );
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.body = options.body;
  }

  /** The `reason` field of RabbitMQ's JSON error body, if there is one. */
  get reason(): string | undefined {
    try {
      const parsed = JSON.parse(this.body) as { reason?: unknown };
      return typeof parsed.reason === 'string' ? parsed.reason : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * The request did not get a complete answer: connection refused or reset,
 * a connect/headers/body timeout, or the client was closed.
 *
 * @public
 */
export class ManagementRequestError extends Error {
  override readonly name = 'ManagementRequestError';
  readonly method: string;
  readonly path: string;
  /** undici's error code when there is one, e.g. `UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`. */
  readonly code: string | undefined;

  constructor(options: { method: string; path: string; cause: unknown }) {
    const cause = options.cause as { message?: string; code?: string };
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    super(
      `RabbitMQ management API ${options.method} ${options.path} failed: ${
        cause?.message ?? String(options.cause)
      }${code && !cause?.message?.includes(code) ? ` (${code})` : ''}`,
      { cause: options.cause },
    );
    this.method = options.method;
    this.path = options.path;
    this.code = code;
  }
}

/**
 * True when `error` is a {@link ManagementApiError} with status 404, i.e. the
 * object (or its vhost) does not exist.
 *
 * @public
 */
export function isNotFoundError(error: unknown): error is ManagementApiError {
  return error instanceof ManagementApiError && error.status === 404;
}

// Error bodies are small JSON documents; cap them so a misrouted request to
// some HTML page does not flood logs.
function describeBody(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) {
    return '';
  }
  return `: ${trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed}`;
}
