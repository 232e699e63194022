import {
  AUTHZ_SNAPSHOT_HTTP,
  formatAuthzSnapshotETag,
  parseAuthzSnapshotETag,
} from './contract';

describe('snapshot feed contract', () => {
  it('names the path and parameters the backend serves', () => {
    expect(AUTHZ_SNAPSHOT_HTTP.path).toBe('/api/brom/authz/snapshot');
    expect(AUTHZ_SNAPSHOT_HTTP.sidecarParam).toBe('sidecar');
    expect(AUTHZ_SNAPSHOT_HTTP.waitSecondsParam).toBe('waitSeconds');
  });

  it('quotes the version in the ETag and reads it back', () => {
    expect(formatAuthzSnapshotETag(42)).toBe('"42"');
    expect(parseAuthzSnapshotETag('"42"')).toBe(42);
    expect(parseAuthzSnapshotETag('W/"42"')).toBe(42);
    expect(parseAuthzSnapshotETag(' "0" ')).toBe(0);
  });

  it.each([
    undefined,
    null,
    '',
    '42',
    '"-1"',
    '"1.5"',
    '"abc"',
    '*',
    '"1", "2"',
  ])('reads no version from %j', value => {
    expect(parseAuthzSnapshotETag(value)).toBeUndefined();
  });
});
