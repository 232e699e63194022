/** The part of a failed zod `safeParse` the forms read: what is wrong, and where. */
export interface ValidationFailure {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}

/** The first problem with each top-level field, keyed by field name. */
export type FieldErrors = Partial<Record<string, string>>;

export function fieldErrorsOf(error: ValidationFailure): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : '';
    if (errors[field] === undefined) errors[field] = issue.message;
  }
  return errors;
}
