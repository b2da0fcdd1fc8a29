import { describe, expect, it } from 'vitest';
import { binOf, compareNumeric, quantileRanks } from './numeric-comparison.js';
import type { NumericSample } from './numeric-comparison.js';
import { expectClose } from './test-support.js';

/** A seeded generator (mulberry32), so every run checks the same samples. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function raw(values: number[]): NumericSample {
  return { values: Float64Array.from(values), counts: null, total: values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** The same values as distinct sorted values with counts, as a profile stores them. */
function compact(values: number[]): NumericSample {
  const sorted = [...values].sort((x, y) => x - y);
  const distinct: number[] = [];
  const counts: number[] = [];
  for (const v of sorted) {
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) counts[counts.length - 1]! += 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  return { values: Float64Array.from(distinct), counts: Float64Array.from(counts), total: values.length, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** The textbook computation over fully sorted samples, as SciPy's ks_2samp and wasserstein_distance do it. */
function bruteForce(ref: number[], cur: number[], bins: number) {
  const a = [...ref].sort((x, y) => x - y);
  const b = [...cur].sort((x, y) => x - y);
  const countAtMost = (sorted: number[], v: number) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sorted[mid]! <= v) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  const all = [...a, ...b].sort((x, y) => x - y);
  let ks = 0;
  let wasserstein = 0;
  for (let i = 0; i < all.length; i++) {
    const g = countAtMost(a, all[i]!) / a.length - countAtMost(b, all[i]!) / b.length;
    ks = Math.max(ks, Math.abs(g));
    if (i < all.length - 1) wasserstein += Math.abs(g) * (all[i + 1]! - all[i]!);
  }
  const edges = [...new Set(quantileRanks(a.length, bins).map((rank) => a[rank - 1]! + 0))].sort((x, y) => x - y);
  const count = (values: number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of values) counts[binOf(edges, v)]! += 1;
    return counts;
  };
  return { ks, wasserstein, edges, reference: count(a), current: count(b) };
}

const GENERATORS: Record<string, (next: () => number, shift: number) => number> = {
  continuous: (next, shift) => next() * 10 + shift,
  normalish: (next, shift) => (next() + next() + next() - 1.5) * 4 + shift,
  ties: (next, shift) => Math.floor(next() * 6 + shift),
  'heavy tail': (next, shift) => (next() < 0.01 ? 1e9 : next() * 3 + shift),
  signs: (next, shift) => (next() < 0.2 ? 0 : next() < 0.5 ? -0 : (next() - 0.5) * 2 + shift),
  skewed: (next, shift) => Math.exp(3 * (next() + next() + next() - 1.5) + shift),
  'outlier and ties': (next, shift) => (next() < 0.001 ? -1e12 : Math.round((next() + next() + shift) * 1000) / 1000),
};

describe('compareNumeric', () => {
  it('equals a full sort for random samples of many shapes and sizes, raw or compacted', { timeout: 60_000 }, () => {
    const next = random(7);
    const kinds = Object.entries(GENERATORS);
    for (let round = 0; round < 84; round++) {
      const [name, generate] = kinds[round % kinds.length]!;
      const sizeRef = 1 + Math.floor(next() * (round % 3 === 0 ? 20 : round % 5 === 0 ? 30_000 : 4000));
      const sizeCur = 1 + Math.floor(next() * (round % 4 === 0 ? 15 : round % 5 === 0 ? 25_000 : 3000));
      const shift = round % 2 === 0 ? 0 : next();
      const ref = Array.from({ length: sizeRef }, () => generate(next, 0));
      const cur = Array.from({ length: sizeCur }, () => generate(next, shift));
      const expected = bruteForce(ref, cur, 10);
      const forms: [string, NumericSample, NumericSample][] = [
        ['raw', raw(ref), raw(cur)],
        ['compact reference', compact(ref), raw(cur)],
        ['compact both', compact(ref), compact(cur)],
      ];
      for (const [form, a, b] of forms) {
        const label = `${name} #${round} (${sizeRef} vs ${sizeCur}, ${form})`;
        const result = compareNumeric(a, b, { bins: 10, histogramBins: 20 });
        expect(result.ksStatistic, label).toBe(expected.ks);
        expectClose(result.wasserstein, expected.wasserstein, `${label} wasserstein`, 1e-12);
        expect(result.bins, label).toEqual({ edges: expected.edges, reference: expected.reference, current: expected.current });
        expect(result.histogram.reference.reduce((s, x) => s + x, 0), label).toBe(sizeRef);
        expect(result.histogram.current.reduce((s, x) => s + x, 0), label).toBe(sizeCur);
      }
    }
  });

  it('handles a constant pair, identical samples and disjoint samples', () => {
    const constant = compareNumeric(raw([7, 7, 7]), raw([7, 7]), { bins: 10, histogramBins: 20 });
    expect(constant).toMatchObject({ ksStatistic: 0, wasserstein: 0, bins: { edges: [7], reference: [3, 0], current: [2, 0] } });
    expect(constant.histogram.reference[0]).toBe(3);
    const same = compareNumeric(raw([1, 2, 3, 4]), raw([4, 3, 2, 1]), { bins: 4, histogramBins: 20 });
    expect(same).toMatchObject({ ksStatistic: 0, wasserstein: 0 });
    const disjoint = compareNumeric(raw([1, 2]), raw([10, 11]), { bins: 2, histogramBins: 20 });
    expect(disjoint).toMatchObject({ ksStatistic: 1, wasserstein: 9, bins: { edges: [1], reference: [1, 1], current: [0, 2] } });
  });

  it('uses given bins instead of computing them from the reference', () => {
    const result = compareNumeric(raw([1, 2, 3, 4, 5]), raw([2, 2, 9]), { bins: 10, histogramBins: 20, referenceBins: { edges: [2, 4], counts: [2, 2, 1] } });
    expect(result.bins).toEqual({ edges: [2, 4], reference: [2, 2, 1], current: [2, 0, 1] });
  });

  for (const [name, draw] of [
    ['two shifted triangular distributions', (next: () => number, side: number) => next() + next() + side * 0.002],
    ['one skewed distribution, drawn twice', (next: () => number) => Math.exp(next() + next() + next())],
  ] as const) {
    it(`is exact on a million values: ${name}`, () => {
      const next = random(11);
      const size = 1_000_000;
      const ref = new Float64Array(size);
      const cur = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        ref[i] = draw(next, 0);
        cur[i] = draw(next, 1);
      }
      const sample = (values: Float64Array): NumericSample => ({ values, counts: null, total: size, min: values.reduce((m, v) => Math.min(m, v)), max: values.reduce((m, v) => Math.max(m, v)) });
      const started = performance.now();
      const result = compareNumeric(sample(ref), sample(cur), { bins: 10, histogramBins: 20 });
      const elapsed = performance.now() - started;
      // The exact statistic, from the sorted samples.
      const a = ref.slice().sort();
      const b = cur.slice().sort();
      let ks = 0;
      let wasserstein = 0;
      let i = 0;
      let j = 0;
      let previous = Number.NaN;
      let g = 0;
      while (i < size || j < size) {
        const z = j >= size || (i < size && a[i]! <= b[j]!) ? a[i]! : b[j]!;
        if (!Number.isNaN(previous)) wasserstein += Math.abs(g) * (z - previous);
        while (i < size && a[i] === z) i++;
        while (j < size && b[j] === z) j++;
        g = i / size - j / size;
        ks = Math.max(ks, Math.abs(g));
        previous = z;
      }
      expect(result.ksStatistic).toBe(ks);
      expectClose(result.wasserstein, wasserstein, 'wasserstein', 1e-12);
      expect(elapsed).toBeLessThan(2000);
    });
  }
});
