/**
 * The message the backend gave for a failed request. A `ResponseError` carries the
 * backend's own error (e.g. "Only members of group:default/payments … can do this") as its
 * cause; its own message only says "Request failed with 403 Forbidden".
 */
export function describeError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (
    error.name === 'ResponseError' &&
    typeof cause === 'object' &&
    cause !== null
  ) {
    const message = (cause as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message;
  }
  return error.message;
}

/** HTTP status of a failed request, when it was one. */
export function statusCodeOf(error: Error): number | undefined {
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : undefined;
}
