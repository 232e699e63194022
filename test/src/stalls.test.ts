import { watchStalls } from './stalls';

describe('watchStalls', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports the longest late tick and the stalls of a second or more', () => {
    let clock = 0;
    const watch = watchStalls({ tickMs: 50, now: () => clock });
    // Three ticks on time.
    for (let i = 0; i < 3; i++) {
      clock += 50;
      jest.advanceTimersByTime(50);
    }
    // The loop is held for 1,500 ms, then for 300 ms, then for 2,050 ms.
    for (const held of [1500, 300, 2050]) {
      clock += held;
      jest.advanceTimersByTime(50);
    }
    expect(watch.stop()).toEqual({
      longestMs: 2000,
      overOneSecond: 2,
      totalOverOneSecondMs: 1450 + 2000,
      long: [
        { atMs: 200, ms: 1450 },
        { atMs: 2000, ms: 2000 },
      ],
    });
  });

  it('tells every stall as it ends, the short ones too', () => {
    let clock = 0;
    const heard: Array<{ atMs: number; ms: number }> = [];
    const watch = watchStalls({ tickMs: 50, now: () => clock, onStall: s => heard.push(s) });
    clock += 60; // on time, within a tick
    jest.advanceTimersByTime(50);
    clock += 250; // 200 ms late
    jest.advanceTimersByTime(50);
    clock += 1250; // 1,200 ms late
    jest.advanceTimersByTime(50);
    watch.stop();
    expect(heard).toEqual([
      { atMs: 110, ms: 200 },
      { atMs: 360, ms: 1200 },
    ]);
  });

  it('reports nothing when every tick runs on time', () => {
    let clock = 0;
    const watch = watchStalls({ tickMs: 50, now: () => clock });
    for (let i = 0; i < 10; i++) {
      clock += 60;
      jest.advanceTimersByTime(50);
    }
    expect(watch.stop()).toEqual({ longestMs: 0, overOneSecond: 0, totalOverOneSecondMs: 0, long: [] });
  });
});
