import type { BinnedMatrix } from './histogram.js';
import { BIN_SLOTS } from './split.js';

/**
 * One regression tree over bins, as flat arrays indexed by node (the root is node 0). Leaves
 * have feature -1; their values already include the learning rate and are float32 numbers, the
 * values the ONNX graph stores.
 */
export interface GbdtTree {
  nodeCount: number;
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** Numeric splits: the last bin going left, i.e. `x <= edges[thresholdBin]` (every present value when it is the last bin); -1 elsewhere. */
  thresholdBin: Int32Array;
  /** 1 where rows missing the split feature go left. */
  missingLeft: Uint8Array;
  /** BIN_SLOTS bytes per node: 1 for each bin whose rows go left. */
  goesLeft: Uint8Array;
  value: Float64Array;
  /** Loss reduction of each split (0 at leaves): feature importance by gain. */
  gain: Float64Array;
  /** Training rows that reached each node. */
  samples: Int32Array;
}

/** Adds each tree's leaf value to `raw` for every row of a binned matrix. */
export function addTreePredictions(trees: readonly GbdtTree[], matrix: BinnedMatrix, raw: Float64Array): void {
  const { rows, columns } = matrix;
  for (const tree of trees) {
    const { feature, left, right, goesLeft, value } = tree;
    for (let r = 0; r < rows; r++) {
      let node = 0;
      let f = feature[0] as number;
      while (f >= 0) {
        node = goesLeft[node * BIN_SLOTS + (columns[f * rows + r] as number)] ? (left[node] as number) : (right[node] as number);
        f = feature[node] as number;
      }
      raw[r] = (raw[r] as number) + (value[node] as number);
    }
  }
}
