import { nodeHistogram, subtractHistogram, HISTOGRAM_STRIDE, type BinnedMatrix } from './histogram.js';
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
  /** Row numbers, partitioned so that each node's rows are one contiguous range. */
  index: Uint32Array;
  scratch: Uint32Array;
  /** Histograms no node holds any more, kept to avoid allocating and collecting them per node. */
  free: Float64Array[];
}

export function treeWorkspace(matrix: BinnedMatrix, categorical: Uint8Array): TreeWorkspace {
  return {
    matrix,
    categorical,
    index: new Uint32Array(matrix.rows),
    scratch: new Uint32Array(matrix.rows),
    free: [],
  };
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
 * Grows one tree on the gradients and hessians of the training rows, best split first (as
 * LightGBM and scikit-learn's HistGradientBoosting do): of all leaves that can still split, the
 * one with the largest gain splits next. One child's histogram is built from its rows, the
 * smaller one; the other's is the parent's minus it.
 *
 * Hands each leaf's rows (a range of the partitioned index) and value to `addToLeaf`, so the
 * training rows' scores need no traversal of the tree. Returns null, calling nothing, when even
 * the root has no split that lowers the loss.
 */
export function growTree(
  workspace: TreeWorkspace,
  gradients: Float64Array,
  hessians: Float64Array,
  params: TreeParams,
  addToLeaf: (index: Uint32Array, start: number, end: number, value: number) => void,
): GbdtTree | null {
  const { matrix, index } = workspace;
  const n = matrix.rows;
  let gradient = 0;
  let hessian = 0;
  for (let i = 0; i < n; i++) {
    index[i] = i;
    gradient += gradients[i] as number;
    hessian += hessians[i] as number;
  }
  const nodes: GrowingNode[] = [];
  const root = newNode(nodes, 0, n, 0, { gradient, hessian, count: n });
  if (!splittable(root, params)) return null;
  root.histogram = takeHistogram(workspace);
  nodeHistogram(matrix, index, 0, n, gradients, hessians, root.histogram);
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
    const middle = partition(workspace, node, split);
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
      nodeHistogram(matrix, index, small.start, small.end, gradients, hessians, small.histogram);
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
  return finishTree(nodes, params, index, addToLeaf);
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

/**
 * Moves the node's rows going left to the front of its range and the others after them, both
 * in their previous order (so rows stay ascending and later bin lookups stay near each other).
 * Returns where the right rows begin.
 */
function partition(workspace: TreeWorkspace, node: GrowingNode, split: Split): number {
  const { index, scratch, matrix } = workspace;
  const column = matrix.columns.subarray(split.feature * matrix.rows, (split.feature + 1) * matrix.rows);
  const goesLeft = split.goesLeft;
  let write = node.start;
  let aside = 0;
  // Branch-free on purpose: which side a row takes is a coin flip to the branch predictor, and
  // mispredictions cost more than the one store that is thrown away. `write` never passes `i`.
  for (let i = node.start; i < node.end; i++) {
    const row = index[i] as number;
    const left = goesLeft[column[row] as number] as number;
    index[write] = row;
    scratch[aside] = row;
    write += left;
    aside += 1 - left;
  }
  index.set(scratch.subarray(0, aside), write);
  return write;
}

function finishTree(
  nodes: readonly GrowingNode[],
  params: TreeParams,
  index: Uint32Array,
  addToLeaf: (index: Uint32Array, start: number, end: number, value: number) => void,
): GbdtTree {
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
    addToLeaf(index, node.start, node.end, value);
  }
  return tree;
}
