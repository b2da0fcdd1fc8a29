import { InvalidInputError } from '../../core/errors.js';
import {
  binCategorical,
  binNumeric,
  categoricalBins,
  learnNumericBins,
  seededRandom,
  type FeatureBins,
} from './binning.js';
import { growTree, treeWorkspace, type TreeParams } from './grow-tree.js';
import { binnedMatrix, type BinnedMatrix } from './histogram.js';
import { LOSSES, type GbdtTask } from './losses.js';
import { RowLoops } from './row-loops.js';
import { sharedArray } from './shared-array.js';
import { addTreePredictions, type GbdtTree } from './tree.js';

/**
 * Training data as typed arrays, one per column, rows in the same order everywhere.
 * Categorical columns arrive as codes: the position of the value in `categories` (ranked most
 * frequent first), `categories.length` for any other value, `categories.length + 1` for a
 * missing one.
 */
export interface GbdtDataset {
  rows: number;
  numeric: { name: string; values: Float32Array }[];
  categorical: { name: string; categories: string[]; codes: Int32Array }[];
  labels: Float64Array;
}

export interface EarlyStopping {
  /** Share of the rows held out (stratified by class for classification) to watch the loss on. */
  validationFraction: number;
  /** Stop after this many trees without a better validation loss. */
  patience: number;
}

export interface FitGbdtOptions {
  task: GbdtTask;
  maxIterations: number;
  learningRate: number;
  maxLeafNodes: number;
  maxDepth?: number | undefined;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  l2: number;
  maxBins: number;
  earlyStopping: EarlyStopping | false;
  seed: number;
  signal?: AbortSignal | undefined;
  /**
   * Let a helper thread do half the rows of large nodes when the machine has a second core
   * (default true). The model is the same either way; turn it off when other work already keeps
   * every core busy.
   */
  helperThread?: boolean | undefined;
  /** After each tree: its number (from 1) and, with early stopping, the validation loss with it. */
  onIteration?: ((iteration: number, validationLoss: number | undefined) => void) | undefined;
}

/**
 * A fitted gradient-boosted tree ensemble: the raw score of a row is `baseScore` plus one leaf
 * value per tree; for classification, P(label = 1) is its logistic.
 */
export interface GbdtModel {
  task: GbdtTask;
  /** Numeric features first, then categorical ones, in the order of the model's inputs. */
  features: FeatureBins[];
  /** A float32 number, as the ONNX graph stores it. */
  baseScore: number;
  trees: GbdtTree[];
}

export interface FitGbdtResult {
  model: GbdtModel;
  /** Trees kept: with early stopping, those up to the best validation loss. */
  iterations: number;
  /** Trees grown before stopping. */
  iterationsRun: number;
  /** Mean validation loss of the kept trees; null without early stopping. */
  bestValidationLoss: number | null;
  /** Mean training loss of the kept trees on the rows they were fitted on. */
  trainingLoss: number;
  trainingRows: number;
  validationRows: number;
  /** Why boosting stopped before `maxIterations`, if it did. */
  stoppedBecause: 'early-stopping' | 'no-split' | null;
  /** Share of the total split gain per feature, in feature order; sums to 1 (all 0 without splits). */
  featureImportance: { name: string; gain: number }[];
  /** 2 when a helper thread took half the rows of large nodes (see FitGbdtOptions.helperThread), else 1. */
  threads: 1 | 2;
}

/** An improvement of the validation loss smaller than this counts as none (scikit-learn's `tol`). */
const EARLY_STOPPING_TOLERANCE = 1e-7;

/**
 * Fits gradient-boosted trees on histograms of binned features. Deterministic: the same data,
 * options and seed give the same trees.
 *
 * @example
 *   const { model } = fitGbdt(dataset, { task: 'classification', maxIterations: 200, learningRate: 0.1,
 *     maxLeafNodes: 31, minSamplesLeaf: 20, minHessianLeaf: 1e-3, l2: 0, maxBins: 255,
 *     earlyStopping: { validationFraction: 0.1, patience: 10 }, seed: 0 });
 */
export function fitGbdt(data: GbdtDataset, options: FitGbdtOptions): FitGbdtResult {
  checkLabels(data.labels, options.task);
  const loss = LOSSES[options.task];
  const random = seededRandom(options.seed);
  const held = options.earlyStopping ? holdOut(data.labels, options.task, options.earlyStopping.validationFraction, random) : new Uint8Array(data.rows);
  const trainRows = select(held, 0);
  const validationRows = select(held, 1);
  if (trainRows.length === 0) throw new InvalidInputError('examples', 'the dataset has no rows');
  if (options.earlyStopping && validationRows.length === 0) {
    throw new InvalidInputError('earlyStopping.validationFraction', `holds out no row of ${data.rows}`, 'raise it, or set earlyStopping to false');
  }
  const trainLabels = gather(data.labels, trainRows, sharedArray(Float64Array, trainRows.length));
  const validationLabels = gather(data.labels, validationRows, new Float64Array(validationRows.length));
  if (options.task === 'classification') requireBothClasses(trainLabels);

  const trainFeatures = rowsOf(data, trainRows, options.maxBins);
  const features: FeatureBins[] = [
    ...data.numeric.map((column, j) => learnNumericBins(column.name, trainFeatures.numeric[j] as Float32Array, options.maxBins, random)),
    ...data.categorical.map((column) => categoricalBins(column.name, column.categories, options.maxBins)),
  ];
  const train = binFeatures(features, trainFeatures);
  const validation = binFeatures(features, rowsOf(data, validationRows, options.maxBins));
  const categorical = Uint8Array.from(features, (f) => (f.kind === 'categorical' ? 1 : 0));

  const baseScore = Math.fround(loss.baseScore(trainLabels));
  const scores = loss.startScores(train.rows, baseScore);
  const raw = scores.raw;
  const validationRaw = new Float64Array(validation.rows).fill(baseScore);
  const loops = RowLoops.open(train, { loss, labels: trainLabels, scores }, { maxLeaves: options.maxLeafNodes, helperThread: options.helperThread ?? true });
  const workspace = treeWorkspace(train, categorical, loops);
  const threads = loops.parallel ? 2 : 1;
  const params: TreeParams = {
    maxLeafNodes: options.maxLeafNodes,
    maxDepth: options.maxDepth,
    minSamplesLeaf: options.minSamplesLeaf,
    minHessianLeaf: options.minHessianLeaf,
    l2: options.l2,
    learningRate: options.learningRate,
  };

  const trees: GbdtTree[] = [];
  // The training scores of the kept trees, for the training loss reported (computed once, at the end).
  const bestRaw = options.earlyStopping ? Float64Array.from(raw) : raw;
  let bestLoss = options.earlyStopping ? loss.loss(validationLabels, validationRaw) : Number.NaN;
  let bestCount = 0;
  let stoppedBecause: FitGbdtResult['stoppedBecause'] = null;
  try {
    loops.startGradients();
    for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
      options.signal?.throwIfAborted();
      const tree = growTree(workspace, params);
      if (!tree) {
        stoppedBecause = 'no-split';
        break;
      }
      loops.applyLeaves();
      trees.push(tree);
      let validationLoss: number | undefined;
      if (options.earlyStopping) {
        addTreePredictions([tree], validation, validationRaw);
        validationLoss = loss.loss(validationLabels, validationRaw);
        if (validationLoss < bestLoss - EARLY_STOPPING_TOLERANCE) {
          bestLoss = validationLoss;
          bestCount = trees.length;
          bestRaw.set(raw);
        }
      }
      options.onIteration?.(iteration, validationLoss);
      if (options.earlyStopping && trees.length - bestCount >= options.earlyStopping.patience) {
        stoppedBecause = 'early-stopping';
        break;
      }
    }
  } finally {
    loops.close();
  }
  const iterationsRun = trees.length;
  if (options.earlyStopping) trees.length = bestCount;
  const trainingLoss = loss.loss(trainLabels, bestRaw);

  return {
    model: { task: options.task, features, baseScore, trees },
    iterations: trees.length,
    iterationsRun,
    bestValidationLoss: options.earlyStopping ? bestLoss : null,
    trainingLoss,
    trainingRows: train.rows,
    validationRows: validation.rows,
    stoppedBecause,
    featureImportance: featureImportance(features, trees),
    threads,
  };
}

/**
 * Marks a seeded random `fraction` of the rows (1 = held out). For classification each class
 * is sampled apart, so both keep the class balance; the total is the fraction of all rows.
 */
function holdOut(labels: Float64Array, task: GbdtTask, fraction: number, random: () => number): Uint8Array {
  const held = new Uint8Array(labels.length);
  const total = Math.round(fraction * labels.length);
  const groups = task === 'classification' ? [rowsWhere(labels, 1), rowsWhere(labels, 0)] : [Uint32Array.from(labels, (_, i) => i)];
  let left = total;
  for (const rows of groups) {
    const take = Math.min(rows.length, rows === groups[groups.length - 1] ? left : Math.round(fraction * rows.length));
    left -= take;
    // A partial Fisher–Yates shuffle picks `take` distinct rows.
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (rows.length - i));
      const row = rows[j] as number;
      rows[j] = rows[i] as number;
      rows[i] = row;
      held[row] = 1;
    }
  }
  return held;
}

function rowsWhere(labels: Float64Array, y: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === y) count++;
  const rows = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === y) rows[k++] = i;
  return rows;
}

function select(held: Uint8Array, value: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < held.length; i++) if (held[i] === value) count++;
  const rows = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < held.length; i++) if (held[i] === value) rows[k++] = i;
  return rows;
}

function gather(values: Float64Array, rows: Uint32Array, out: Float64Array): Float64Array {
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as number;
  return out;
}

function gather32(values: Float32Array, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i] as number] as number;
  return out;
}

function checkLabels(labels: Float64Array, task: GbdtTask): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (task === 'classification' ? y !== 0 && y !== 1 : !Number.isFinite(y)) {
      throw new InvalidInputError('label', `row ${i} has label ${y}; ${task === 'classification' ? 'classification needs 0 or 1' : 'regression needs a finite number'}`);
    }
  }
}

function requireBothClasses(labels: Float64Array): void {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] as number;
  if (positives === 0 || positives === labels.length) {
    throw new InvalidInputError('label', `the training rows hold only label ${positives === 0 ? 0 : 1}; a classifier needs both classes`);
  }
}

/** The given rows of every feature column. */
function rowsOf(data: GbdtDataset, rows: Uint32Array, maxBins: number): GbdtFeatures {
  return {
    rows: rows.length,
    numeric: data.numeric.map((column) => gather32(column.values, rows)),
    categorical: data.categorical.map((column) => gatherCodes(column, rows, maxBins)),
  };
}

/** Bins raw features by the learned bins. */
function binFeatures(features: readonly FeatureBins[], raw: GbdtFeatures): BinnedMatrix {
  const n = raw.rows;
  const columns = sharedArray(Uint8Array, n * features.length);
  const numericCount = raw.numeric.length;
  features.forEach((feature, f) => {
    const column = columns.subarray(f * n, (f + 1) * n);
    if (feature.kind === 'numeric') binNumeric(raw.numeric[f] as Float32Array, feature, column);
    else binCategorical(raw.categorical[f - numericCount] as Int32Array, feature, column);
  });
  return binnedMatrix(n, features.map((f) => f.missingBin), columns);
}

/**
 * Codes of the given rows, renumbered for the kept categories when the column has more than
 * `maxBins − 1`: those past the cap join the "other" bin, and the missing code moves down.
 */
function gatherCodes(column: GbdtDataset['categorical'][number], rows: Uint32Array, maxBins: number): Int32Array {
  const { codes, categories } = column;
  const kept = Math.min(categories.length, maxBins - 1);
  const missing = categories.length + 1;
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const code = codes[rows[i] as number] as number;
    out[i] = code === missing ? kept + 1 : code >= 0 && code < kept ? code : kept;
  }
  return out;
}

function featureImportance(features: readonly FeatureBins[], trees: readonly GbdtTree[]): { name: string; gain: number }[] {
  const gains = new Float64Array(features.length);
  for (const tree of trees) {
    for (let node = 0; node < tree.nodeCount; node++) {
      const feature = tree.feature[node] as number;
      if (feature >= 0) gains[feature] = (gains[feature] as number) + (tree.gain[node] as number);
    }
  }
  let total = 0;
  for (let f = 0; f < gains.length; f++) total += gains[f] as number;
  return features.map((feature, f) => ({ name: feature.name, gain: total > 0 ? (gains[f] as number) / total : 0 }));
}

/** Raw features of rows to predict, in the layout of GbdtDataset (codes computed the same way). */
export interface GbdtFeatures {
  rows: number;
  numeric: Float32Array[];
  categorical: Int32Array[];
}

/** The raw scores (log-odds for classification) of rows. */
export function predictRaw(model: GbdtModel, features: GbdtFeatures): Float64Array {
  const raw = new Float64Array(features.rows).fill(model.baseScore);
  addTreePredictions(model.trees, binFeatures(model.features, features), raw);
  return raw;
}

/**
 * Predictions in TypeScript, as the ONNX graph makes them: P(label = 1) for classification,
 * the value for regression.
 *
 * @example
 *   const p = predictGbdt(model, { rows: 2, numeric: [Float32Array.of(300, NaN)], categorical: [] });
 */
export function predictGbdt(model: GbdtModel, features: GbdtFeatures): Float64Array {
  const raw = predictRaw(model, features);
  if (model.task === 'classification') for (let i = 0; i < raw.length; i++) raw[i] = 1 / (1 + Math.exp(-(raw[i] as number)));
  return raw;
}
