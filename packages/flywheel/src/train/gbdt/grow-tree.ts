import { subtractHistogram, HISTOGRAM_STRIDE, type BinnedMatrix } from './histogram.js';
import type { RowLoops } from './row-loops.js';
import { BIN_SLOTS, findBestSplit, type NodeStats, type Split, type SplitConstraints } from './split.js';
import type { GbdtTree } from './tree.js';

export interface TreeParams extends SplitConstraints {
  /** Leaves at most; the tree grows best split first until it has this many. */
  maxLeafNodes: number;
  /** Depth at most (the root is depth 0); undefined for no limit. */
  maxDepth: number | undefined;
  learningRate: number;
}

/** Buffers reused by every tree of one training run. */
export interface TreeWorkspace {
  matrix: BinnedMatrix;
  /** 1 for categorical features. */
  categorical: Uint8Array;
  /** The loops over a node's rows, with the row index and the gradients and hessians they read. */
  loops: RowLoops;
  /** Histograms no node holds any more, kept to avoid allocating and collecting them per node. */
  free: Float64Array[];
}

export function treeWorkspace(matrix: BinnedMatrix, categorical: Uint8Array, loops: RowLoops): TreeWorkspace {
  return { matrix, categorical, loops, free: [] };
}

interface GrowingNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  stats: NodeStats;
  histogram: Float64Array | null;
  /** The best split found for the node; applied only if the node is chosen before the tree is full. */
  split: Split | null;
  applied: boolean;
  left: number;
  right: number;
}

/**
 * Grows one tree on the gradients and hessians of the training rows (`loops.gradients` and
 * `loops.hessians`), best split first (as
 * LightGBM and scikit-learn's HistGradientBoosting do): of all leaves that can still split, the
 * one with the largest gain splits next. One child's histogram is built from its rows, the
 * smaller one; the other's is the parent's minus it.
 *
 * Records each leaf's rows (a range of the partitioned index) and value with `loops.addLeaf`, so
 * the training rows' scores need no traversal of the tree; the caller applies them. Returns null,
 * recording nothing, when even the root has no split that lowers the loss.
 */
export function growTree(workspace: TreeWorkspace, params: TreeParams): GbdtTree | null {
  const { matrix, loops } = workspace;
  const n = matrix.rows;
  if (matrix.features === 0) return null;
  loops.resetIndex();
  const nodes: GrowingNode[] = [];
  const histogram = takeHistogram(workspace);
  loops.histogram(0, n, histogram);
  const root = newNode(nodes, 0, n, 0, rootStats(matrix, histogram));
  root.histogram = histogram;
  if (!splittable(root, params)) {
    releaseHistogram(workspace, root);
    return null;
  }
  root.split = findBestSplit(matrix, workspace.categorical, root.histogram, root.stats, params);
  if (!root.split) {
    releaseHistogram(workspace, root);
    return null;
  }

  const open: GrowingNode[] = [root];
  let leaves = 1;
  while (open.length > 0 && leaves < params.maxLeafNodes) {
    let pick = 0;
    for (let i = 1; i < open.length; i++) {
      if ((open[i]!.split as Split).gain > (open[pick]!.split as Split).gain) pick = i;
    }
    const node = open.splice(pick, 1)[0] as GrowingNode;
    const split = node.split as Split;
    const middle = loops.partition(node.start, node.end, split.feature, split.goesLeft);
    const left = newNode(nodes, node.start, middle, node.depth + 1, split.left);
    const right = newNode(nodes, middle, node.end, node.depth + 1, split.right);
    node.applied = true;
    node.left = left.id;
    node.right = right.id;
    leaves++;

    const full = leaves >= params.maxLeafNodes;
    const leftGrows = !full && splittable(left, params);
    const rightGrows = !full && splittable(right, params);
    if (leftGrows || rightGrows) {
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      small.histogram = takeHistogram(workspace);
      loops.histogram(small.start, small.end, small.histogram);
      const parentHistogram = node.histogram as Float64Array;
      node.histogram = null;
      if (large === left ? leftGrows : rightGrows) {
        subtractHistogram(parentHistogram, small.histogram);
        large.histogram = parentHistogram;
      } else {
        workspace.free.push(parentHistogram);
      }
      if (!(small === left ? leftGrows : rightGrows)) releaseHistogram(workspace, small);
    } else {
      releaseHistogram(workspace, node);
    }
    for (const child of [left, right]) {
      if (!child.histogram) continue;
      child.split = findBestSplit(matrix, workspace.categorical, child.histogram, child.stats, params);
      if (child.split) open.push(child);
      else releaseHistogram(workspace, child);
    }
  }
  for (const node of open) releaseHistogram(workspace, node);
  return finishTree(nodes, params, loops);
}

/** The gradient statistics of all rows: the sums over the bins of any one feature (the first). */
function rootStats(matrix: BinnedMatrix, histogram: Float64Array): NodeStats {
  const first = HISTOGRAM_STRIDE * (matrix.offset[0] as number);
  const end = first + HISTOGRAM_STRIDE * ((matrix.missingBin[0] as number) + 1);
  let gradient = 0;
  let hessian = 0;
  for (let k = first; k < end; k += HISTOGRAM_STRIDE) {
    gradient += histogram[k] as number;
    hessian += histogram[k + 1] as number;
  }
  return { gradient, hessian, count: matrix.rows };
}

function newNode(nodes: GrowingNode[], start: number, end: number, depth: number, stats: NodeStats): GrowingNode {
  const node: GrowingNode = { id: nodes.length, start, end, depth, stats, histogram: null, split: null, applied: false, left: -1, right: -1 };
  nodes.push(node);
  return node;
}

function splittable(node: GrowingNode, params: TreeParams): boolean {
  return (
    node.stats.count >= 2 * params.minSamplesLeaf &&
    node.stats.hessian >= 2 * params.minHessianLeaf &&
    (params.maxDepth === undefined || node.depth < params.maxDepth)
  );
}

function takeHistogram(workspace: TreeWorkspace): Float64Array {
  return workspace.free.pop() ?? new Float64Array(HISTOGRAM_STRIDE * workspace.matrix.totalBins);
}

function releaseHistogram(workspace: TreeWorkspace, node: GrowingNode): void {
  if (node.histogram) workspace.free.push(node.histogram);
  node.histogram = null;
}

function finishTree(nodes: readonly GrowingNode[], params: TreeParams, loops: RowLoops): GbdtTree {
  const count = nodes.length;
  const tree: GbdtTree = {
    nodeCount: count,
    feature: new Int32Array(count).fill(-1),
    left: new Int32Array(count).fill(-1),
    right: new Int32Array(count).fill(-1),
    thresholdBin: new Int32Array(count).fill(-1),
    missingLeft: new Uint8Array(count),
    goesLeft: new Uint8Array(count * BIN_SLOTS),
    value: new Float64Array(count),
    gain: new Float64Array(count),
    samples: new Int32Array(count),
  };
  for (const node of nodes) {
    tree.samples[node.id] = node.stats.count;
    if (node.applied) {
      const split = node.split as Split;
      tree.feature[node.id] = split.feature;
      tree.left[node.id] = node.left;
      tree.right[node.id] = node.right;
      tree.thresholdBin[node.id] = split.thresholdBin;
      tree.missingLeft[node.id] = split.missingLeft ? 1 : 0;
      tree.goesLeft.set(split.goesLeft, node.id * BIN_SLOTS);
      tree.gain[node.id] = split.gain;
      continue;
    }
    const denominator = node.stats.hessian + params.l2;
    const value = denominator > 0 ? Math.fround((-params.learningRate * node.stats.gradient) / denominator) : 0;
    tree.value[node.id] = value;
    loops.addLeaf(node.start, node.end, value);
  }
  return tree;
}
