/**
 * How long the event loop was held at a time: a timer asks to run every `tickMs` and each late
 * run's lateness is a stall. While a stall lasts nothing else in the process runs either: no
 * timer (the reconciler lease's renewal), no HTTP request, no database reply is read.
 */
export interface StallReport {
  /** The longest single stall, in ms (0 when every tick ran on time, within `tickMs`). */
  longestMs: number;
  /** Stalls of a second or more. */
  overOneSecond: number;
  /** Their sum, in ms. */
  totalOverOneSecondMs: number;
  /** Each stall of a second or more: when it began (ms after the watch started) and how long it held. */
  long: Array<{ atMs: number; ms: number }>;
}

export interface StallWatch {
  stop(): StallReport;
}

export function watchStalls(
  options: {
    tickMs?: number;
    now?: () => number;
    /** Hears each stall of a second or more as it ends. */
    onLongStall?: (stall: { atMs: number; ms: number }) => void;
    /** Hears every stall (a tick later than `tickMs`) as it ends, the short ones too. */
    onStall?: (stall: { atMs: number; ms: number }) => void;
  } = {},
): StallWatch {
  const tickMs = options.tickMs ?? 50;
  const now = options.now ?? (() => performance.now());
  const report: StallReport = { longestMs: 0, overOneSecond: 0, totalOverOneSecondMs: 0, long: [] };
  const startedAt = now();
  let last = startedAt;
  const timer = setInterval(() => {
    const at = now();
    const late = at - last - tickMs;
    last = at;
    if (late <= tickMs) return;
    report.longestMs = Math.max(report.longestMs, Math.round(late));
    options.onStall?.({ atMs: Math.round(last - late - startedAt), ms: Math.round(late) });
    if (late >= 1000) {
      report.overOneSecond++;
      report.totalOverOneSecondMs += Math.round(late);
      const stall = { atMs: Math.round(last - late - startedAt), ms: Math.round(late) };
      report.long.push(stall);
      options.onLongStall?.(stall);
    }
  }, tickMs);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      return { ...report, long: [...report.long] };
    },
  };
}
