import { describe, expect, it } from 'vitest';
import { rebin, shareHistograms } from './rebin.js';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('shareHistograms', () => {
  it('keeps identical edges and turns counts into shares', () => {
    const shared = shareHistograms({ edges: [0, 1, 2], counts: [1, 3] }, { edges: [0, 1, 2], counts: [2, 2] })!;
    expect(shared.edges).toEqual([0, 1, 2]);
    expect(shared.current).toEqual([0.25, 0.75]);
    expect(shared.reference).toEqual([0.5, 0.5]);
  });

  it('puts histograms of different ranges on common edges spanning both, keeping every value', () => {
    const shared = shareHistograms({ edges: [10, 15, 20], counts: [4, 4] }, { edges: [0, 5, 10], counts: [1, 3] })!;
    expect(shared.edges).toEqual([0, 10, 20]);
    expect(shared.current).toEqual([0, 1]);
    expect(shared.reference).toEqual([1, 0]);
  });

  it('spreads a bin over the new bins it overlaps in proportion', () => {
    expect(rebin({ edges: [0, 4], counts: [8] }, [0, 1, 2, 3, 4])).toEqual([2, 2, 2, 2]);
    const spread = rebin({ edges: [-80, 8.4, 96.8], counts: [359345, 138434] }, [-1116, -800, -500, 0, 500, 1688]);
    expect(sum(spread)).toBeCloseTo(359345 + 138434, 6);
  });

  it('places a constant column, whose bins have no width, in the bin holding its value', () => {
    const shared = shareHistograms({ edges: [5, 5, 5], counts: [7, 0] }, { edges: [0, 5, 10], counts: [1, 1] })!;
    expect(shared.edges).toEqual([0, 5, 10]);
    expect(shared.current).toEqual([0, 1]);
  });

  it('draws one dataset alone and nothing without histograms', () => {
    expect(shareHistograms({ edges: [0, 1], counts: [3] }, null)).toEqual({ edges: [0, 1], current: [1], reference: null });
    expect(shareHistograms(null, { edges: [0, 1], counts: [3] })).toEqual({ edges: [0, 1], current: [0], reference: [1] });
    expect(shareHistograms(null, null)).toBeNull();
  });
});
