import { InputError } from '@backstage/errors';
import Ajv from 'ajv';

// Only used for meta-schema validation, which is synchronous, so one instance serves all.
const ajv = new Ajv({ allErrors: true });

/**
 * Refuses a payload schema that is not a JSON Schema (draft-07, ajv's meta-schema), naming
 * what is wrong. Validation walks the schema recursively: the request schema has already
 * bounded its depth and size (`payloadSchema` in brom-common).
 */
export function assertValidPayloadSchema(schema: Record<string, unknown> | null | undefined) {
  if (!schema) return;
  let valid: unknown;
  try {
    valid = ajv.validateSchema(schema);
  } catch (error) {
    // ajv throws rather than reports for a `$schema` it does not know.
    throw new InputError(`payloadSchema: ${(error as Error).message}`);
  }
  if (valid !== true) {
    throw new InputError(
      `payloadSchema is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, {
        dataVar: 'payloadSchema',
      })}`,
    );
  }
}
