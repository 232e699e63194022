import { CpuTimeline, describeCpuWindow, procCpuReader } from './cpuTimeline';

describe('CpuTimeline', () => {
  it("charges a window to each process's CPU and the machine's, widened to the samples around it", () => {
    let now = 1_000;
    const cpu: Record<number, number | undefined> = { 10: 1, 20: 5 };
    const machine = { busy: 100, total: 400 };
    const timeline = CpuTimeline.start({
      pids: { bench: 10, backend: 20, sidecar: undefined },
      intervalMs: 60_000,
      reader: { process: pid => cpu[pid], machine: () => ({ ...machine }) },
      now: () => now,
      cpus: 2,
    });
    timeline.stop();
    // 100 ms later: the bench used 20 ms, the backend 80 ms; the machine 0.15 s of 0.2.
    now = 1_100;
    cpu[10] = 1.02;
    cpu[20] = 5.08;
    machine.busy += 0.15;
    machine.total += 0.2;
    timeline.sample();
    // Then the backend is gone.
    now = 1_200;
    cpu[20] = undefined;
    machine.total += 0.2;
    timeline.sample();

    expect(timeline.between(1_000, 1_100)).toEqual({
      ms: 100,
      cpuMs: { bench: 20, backend: 80 },
      machineBusyCpus: 1.5,
      cpus: 2,
    });
    // Widened to the samples at 1,000 and 1,200; the backend has no figure at the end.
    expect(timeline.between(1_050, 1_150)).toEqual({
      ms: 200,
      cpuMs: { bench: 20 },
      machineBusyCpus: 0.75,
      cpus: 2,
    });
    // Not covered by the samples.
    expect(timeline.between(900, 1_100)).toBeUndefined();
    expect(timeline.between(1_100, 1_300)).toBeUndefined();
    expect(describeCpuWindow(timeline.between(1_000, 1_100))).toBe(
      'CPU ms bench 20, backend 80; machine 1.5 of 2 CPUs busy over 100 ms',
    );
  });

  it('reads this process and the machine from /proc', () => {
    const own = procCpuReader.process(process.pid);
    expect(own).toBeGreaterThan(0);
    const machine = procCpuReader.machine();
    expect(machine.total).toBeGreaterThanOrEqual(machine.busy);
    expect(machine.busy).toBeGreaterThan(0);
    // A pid no process has.
    expect(procCpuReader.process(2 ** 30)).toBeUndefined();
  });
});
