/**
 * Percent-encodes one path segment of a management API URL.
 *
 * `encodeURIComponent` already turns the default vhost `/` into `%2F`, which
 * is what RabbitMQ expects. It leaves `.` alone, which is right for names such
 * as `brom.orders`, but a segment that is only dots would be read as `.` or
 * `..` by any URL normaliser on the way (proxies, `new URL`), so those dots are
 * encoded too; RabbitMQ decodes them back.
 *
 * @public
 */
export function encodeSegment(segment: string): string {
  if (segment.length === 0) {
    throw new TypeError(
      'RabbitMQ management API path segments must not be empty',
    );
  }
  if (/^\.+$/.test(segment)) {
    return segment.replace(/\./g, '%2E');
  }
  return encodeURIComponent(segment);
}

/**
 * Builds an API path from a template whose interpolations are path segments:
 * apiPath`queues/${vhost}/${name}` gives `/api/queues/%2F/orders`.
 */
export function apiPath(
  strings: TemplateStringsArray,
  ...segments: string[]
): string {
  let path = '/api/';
  strings.forEach((literal, index) => {
    path += literal;
    if (index < segments.length) {
      path += encodeSegment(segments[index]);
    }
  });
  return path;
}
