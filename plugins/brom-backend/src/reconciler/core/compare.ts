import { JsonValue } from './types';

/** `name is X on the broker, Y desired`, or nothing when both are the same JSON. */
export function fieldDifference(
  name: string,
  observed: JsonValue,
  desired: JsonValue,
): string[] {
  return canonicalJson(observed) === canonicalJson(desired)
    ? []
    : [
        `${name} is ${canonicalJson(observed)} on the broker, ${canonicalJson(
          desired,
        )} desired`,
      ];
}

/** One difference per entry of an arguments-like record that differs or is missing on one side. */
export function argumentDifferences(
  name: string,
  observed: Record<string, JsonValue>,
  desired: Record<string, JsonValue>,
): string[] {
  const keys = [
    ...new Set([...Object.keys(observed), ...Object.keys(desired)]),
  ].sort();
  return keys.flatMap(key => {
    const has = (record: Record<string, JsonValue>) =>
      Object.prototype.hasOwnProperty.call(record, key);
    const describe = (record: Record<string, JsonValue>) =>
      has(record) ? canonicalJson(record[key]) : 'absent';
    return describe(observed) === describe(desired)
      ? []
      : [
          `${name}.${key} is ${describe(observed)} on the broker, ${describe(
            desired,
          )} desired`,
        ];
  });
}

/** JSON with object keys sorted, so that key order never makes two values differ. */
function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}
