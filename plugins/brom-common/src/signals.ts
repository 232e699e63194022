/** The signal channel on which the backend tells open BROM pages that something changed. */
export const BROM_SIGNAL_CHANNEL = 'brom';

/**
 * A message on the BROM channel: a committed change (`type` is the domain event's) or new
 * broker status recorded by the reconciler. Pages that show one of `applications` (or any,
 * for lists) fetch again; the message itself carries no data beyond names.
 */
export type BromSignal = {
  kind: 'change' | 'status';
  type: string;
  applications: string[];
};
