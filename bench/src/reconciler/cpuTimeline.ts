import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Where a slow trial's time went: the CPU time of the processes taking part (the benchmark,
 * the backend, the sidecar, the broker) and of the whole machine, sampled every few tens of
 * milliseconds, so that any window of a trial (approval → first message) can be charged to
 * the processes that ran during it. /proc counts in clock ticks (10 ms), so a window's figures
 * are good to about one tick per process.
 */
export interface CpuReader {
  /** A process's user + system CPU seconds so far; undefined once it is gone. */
  process(pid: number): number | undefined;
  /** The machine's busy and total CPU seconds so far, over all its CPUs. */
  machine(): { busy: number; total: number };
}

interface Sample {
  at: number;
  processes: Record<string, number | undefined>;
  busy: number;
  total: number;
}

/** What ran during a window: each process's CPU ms, and how many CPUs the machine kept busy. */
export interface CpuWindow {
  /** The sampled window (the requested one widened to the samples around it), in ms. */
  ms: number;
  cpuMs: Record<string, number>;
  /** The machine's busy CPUs on average over the window (0 to `cpus`). */
  machineBusyCpus: number;
  cpus: number;
}

let clockTicks: number | undefined;

/** The clock ticks per second /proc counts CPU time in. */
export function clockTicksPerSecond(): number {
  clockTicks ??= Number(
    execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(),
  );
  return clockTicks;
}

/** A process's user and system CPU seconds so far, from /proc/<pid>/stat; undefined once it is gone. */
export function processTimes(
  pid: number,
): { userSeconds: number; systemSeconds: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command (which may hold spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    userSeconds: Number(fields[11]) / clockTicksPerSecond(),
    systemSeconds: Number(fields[12]) / clockTicksPerSecond(),
  };
}

/** Reads /proc (Linux). */
export const procCpuReader: CpuReader = {
  process(pid) {
    const times = processTimes(pid);
    return times && times.userSeconds + times.systemSeconds;
  },
  machine() {
    // cpu  user nice system idle iowait irq softirq steal ...
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = user + nice + system + irq + softirq + (steal ?? 0);
    return {
      busy: busy / clockTicksPerSecond(),
      total: (busy + idle + iowait) / clockTicksPerSecond(),
    };
  },
};

export class CpuTimeline {
  readonly #samples: Sample[] = [];
  readonly #pids: Record<string, number>;
  readonly #reader: CpuReader;
  readonly #now: () => number;
  readonly #cpus: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts sampling `pids` (by name) every `intervalMs` (50). */
  static start(options: {
    pids: Record<string, number | undefined>;
    intervalMs?: number;
    reader?: CpuReader;
    now?: () => number;
    cpus?: number;
  }): CpuTimeline {
    const timeline = new CpuTimeline(options);
    timeline.sample();
    timeline.#timer = setInterval(
      () => timeline.sample(),
      options.intervalMs ?? 50,
    );
    timeline.#timer.unref?.();
    return timeline;
  }

  private constructor(options: {
    pids: Record<string, number | undefined>;
    reader?: CpuReader;
    now?: () => number;
    cpus?: number;
  }) {
    this.#pids = Object.fromEntries(
      Object.entries(options.pids).filter(
        (entry): entry is [string, number] => entry[1] !== undefined,
      ),
    );
    this.#reader = options.reader ?? procCpuReader;
    this.#now = options.now ?? Date.now;
    this.#cpus = options.cpus ?? cpus().length;
  }

  /** Takes one sample now (the timer calls it; a test may too). */
  sample(): void {
    const machine = this.#reader.machine();
    this.#samples.push({
      at: this.#now(),
      processes: Object.fromEntries(
        Object.entries(this.#pids).map(([name, pid]) => [
          name,
          this.#reader.process(pid),
        ]),
      ),
      ...machine,
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The window from `from` to `to` (ms since the epoch), widened to the last sample at or
   * before `from` and the first at or after `to`; undefined when the samples do not cover it.
   */
  between(from: number, to: number): CpuWindow | undefined {
    const samples = this.#samples;
    let first: Sample | undefined;
    let last: Sample | undefined;
    for (const s of samples) {
      if (s.at <= from) first = s;
      if (s.at >= to && !last) last = s;
    }
    if (!first || !last || last.at <= first.at) return undefined;
    const cpuMs: Record<string, number> = {};
    for (const name of Object.keys(this.#pids)) {
      const a = first.processes[name];
      const b = last.processes[name];
      if (a !== undefined && b !== undefined) {
        cpuMs[name] = Math.round((b - a) * 1000);
      }
    }
    const total = last.total - first.total;
    return {
      ms: last.at - first.at,
      cpuMs,
      machineBusyCpus:
        total > 0
          ? Math.round(((last.busy - first.busy) / total) * this.#cpus * 100) /
            100
          : 0,
      cpus: this.#cpus,
    };
  }
}

/** One line for a window: "bench 30, backend 120, … ms CPU; machine 1.8 of 2 CPUs busy over 160 ms". */
export function describeCpuWindow(window: CpuWindow | undefined): string {
  if (!window) return 'CPU not sampled';
  const parts = Object.entries(window.cpuMs).map(
    ([name, ms]) => `${name} ${ms}`,
  );
  return `CPU ms ${parts.join(', ')}; machine ${window.machineBusyCpus.toFixed(
    1,
  )} of ${window.cpus} CPUs busy over ${window.ms} ms`;
}
