import { useSignal } from '@backstage/plugin-signals-react';
import { BROM_SIGNAL_CHANNEL, BromSignal } from '@internal/plugin-brom-common';
import { useEffect, useReducer, useRef } from 'react';

/** Which BROM signals a view cares about. */
export interface BromSignalFilter {
  /** Only signals about this application; every application when left out. */
  application?: string;
  /** Only changes (committed writes) or only broker status; both when left out. */
  kind?: BromSignal['kind'];
  /** Only events whose type starts with this, e.g. `subscription.`. */
  typePrefix?: string;
}

/** Whether `signal` concerns a view that asked for `filter`. */
export function matchesBromSignal(
  signal: BromSignal,
  filter: BromSignalFilter,
): boolean {
  if (filter.kind && signal.kind !== filter.kind) return false;
  if (filter.typePrefix && !signal.type.startsWith(filter.typePrefix))
    return false;
  if (filter.application && !signal.applications.includes(filter.application)) {
    return false;
  }
  return true;
}

/**
 * Calls `refresh` when the backend signals a change the view shows (Backstage signals, the
 * `brom` channel), so open pages follow other people's changes without a reload. Without
 * the signals plugin it does nothing, and views keep their own refresh.
 */
export function useBromSignal(
  refresh: () => void,
  filter: BromSignalFilter = {},
) {
  const { lastSignal } = useSignal<BromSignal>(BROM_SIGNAL_CHANNEL);
  const latest = useRef({ refresh, filter });
  latest.current = { refresh, filter };
  useEffect(() => {
    if (lastSignal && matchesBromSignal(lastSignal, latest.current.filter)) {
      latest.current.refresh();
    }
  }, [lastSignal]);
}

/**
 * A counter that moves on each BROM signal matching `filter`: give it to a ServerTable's
 * `refresh`, so the page on screen is asked for again without leaving it.
 */
export function useBromSignalRefresh(filter: BromSignalFilter = {}): number {
  const [count, bump] = useReducer((n: number) => n + 1, 0);
  useBromSignal(bump, filter);
  return count;
}
