import { ConflictError } from '@backstage/errors';

/** A 409 that carries the current state, so the client can show it and retry. */
export class StaleGenerationError extends ConflictError {
  readonly current: { generation: number };

  constructor(what: string, current: { generation: number }, sent: number) {
    super(
      `${what} has changed since you loaded it (it is at generation ${current.generation}, your change was based on ${sent}); reload it and try again`,
    );
    this.current = current;
  }
}

/** Optimistic concurrency: a change applies only to the generation the client loaded. */
export function assertGeneration(
  what: string,
  current: { generation: number },
  sent: number,
) {
  if (current.generation !== sent) {
    throw new StaleGenerationError(what, current, sent);
  }
}

/** The entity with `changes` applied, one generation on, updated at `now`. */
export function nextGeneration<T extends { generation: number; updatedAt: string }>(
  current: T,
  now: string,
  changes: Partial<T> = {},
): T {
  return { ...current, ...changes, generation: current.generation + 1, updatedAt: now };
}
