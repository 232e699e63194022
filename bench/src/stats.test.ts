import {
  clearlyBelow,
  median,
  percentile,
  percentileOfSorted,
  spread,
  summarizeLatencies,
} from './stats';

describe('median', () => {
  it('takes the middle value of an odd count, unsorted input', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([100, 20, 3])).toBe(20);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns observed values at the usual ranks', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 99.9)).toBe(100);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it('shows a single slow sample in p99.9 but not in p99 of 1,000 samples', () => {
    const samples = new Float64Array(1000).fill(1);
    samples[500] = 50;
    expect(percentile(samples, 99)).toBe(1);
    expect(percentile(samples, 99.9)).toBe(1);
    samples[501] = 50;
    expect(percentile(samples, 99.9)).toBe(50);
  });

  it('does not reorder its input', () => {
    const input = [3, 1, 2];
    percentile(input, 50);
    expect(input).toEqual([3, 1, 2]);
  });

  it('refuses a percentile outside 0–100 and is NaN for no samples', () => {
    expect(() => percentileOfSorted([1], 101)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], NaN)).toThrow(RangeError);
    expect(percentileOfSorted([], 50)).toBeNaN();
  });
});

describe('spread', () => {
  it('gives median with min–max and the number of rounds', () => {
    expect(spread([52_000, 48_000, 57_000, 50_500, 49_000])).toEqual({
      median: 50_500,
      min: 48_000,
      max: 57_000,
      n: 5,
    });
  });

  it('is NaN for no rounds', () => {
    const empty = spread([]);
    expect(empty.median).toBeNaN();
    expect(empty.min).toBeNaN();
    expect(empty.n).toBe(0);
  });
});

describe('summarizeLatencies', () => {
  it('gives p50, p99, p99.9 and max', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => i + 1);
    expect(summarizeLatencies(samples)).toEqual({
      count: 10_000,
      p50: 5_000,
      p99: 9_900,
      p999: 9_990,
      max: 10_000,
    });
  });
});

describe('clearlyBelow', () => {
  it('is true only when the ranges of rounds do not overlap', () => {
    expect(clearlyBelow(spread([1, 2, 3]), spread([4, 5, 6]))).toBe(true);
    expect(clearlyBelow(spread([1, 2, 4]), spread([4, 5, 6]))).toBe(false);
    expect(clearlyBelow(spread([5, 6, 7]), spread([1, 2, 3]))).toBe(false);
  });
});
