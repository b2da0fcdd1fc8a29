import { InvalidInputError } from '../../core/errors.js';
import { OnnxGraphBuilder } from '../../onnx/graph-builder.js';
import { attr, encodeOnnxModel } from '../../onnx/onnx-model.js';
import { addFeatureInputs } from '../feature-inputs-onnx.js';
import { FEATURE_SPEC_KEY, type FeatureSpec } from '../feature-spec.js';
import { timePartName } from '../time-parts.js';
import type { GbdtModel } from './fit-gbdt.js';
import type { GbdtTask } from './losses.js';
import { BIN_SLOTS } from './split.js';
import type { GbdtTree } from './tree.js';

/**
 * Operator sets of the exported graph. `ai.onnx.ml` 5 brings `TreeEnsemble`, whose
 * `BRANCH_MEMBER` nodes test set membership, so a categorical split is one node; it came with
 * ONNX 1.16 (IR version 10); onnxruntime 1.30 runs it, set nodes included.
 */
export const GBDT_OPSETS = { '': 21, 'ai.onnx.ml': 5 } as const;
export const GBDT_IR_VERSION = 10;

/** Names of the model's outputs, which no input may take. */
export const GBDT_OUTPUTS: Record<GbdtTask, readonly string[]> = {
  classification: ['label', 'probabilities'],
  regression: ['variable'],
};

/** The `metadata_props` key with the ensemble's summary (task, trees, base score), JSON. */
export const GBDT_METADATA_KEY = 'flywheel.gbdt';

const ML = 'ai.onnx.ml';
const BATCH = 'N';
/** TreeEnsemble's `nodes_modes` values (ONNX ai.onnx.ml 5). */
const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;
const POST_TRANSFORM_NONE = 0;
const AGGREGATE_SUM = 1;

/**
 * One ONNX graph from raw features to predictions:
 *
 * ```
 * numeric inputs float [N,1] ─────────────────────────────────────┐
 * timestamp inputs double [N,1] ─ time parts (float) ─────────────┤
 * categorical inputs string [N,1] ─ LabelEncoder (string → bin) ──┴─ Concat ─ TreeEnsemble ─ Add (base score) ─┐
 *   classification: ─ Sigmoid ─ p ─┬─ Concat(1 − p, p) ─ probabilities float [N,2]
 *                                  └─ Greater(p, 0.5) ─ Cast ─ Reshape ─ label int64 [N]
 *   regression:     ─ variable float [N,1]
 * ```
 *
 * Numeric splits are `BRANCH_LEQ` on the float32 bin edges, with `nodes_missing_value_tracks_true`
 * sending NaN the learned way. A categorical input becomes its bin number (unknown values the
 * "other" bin, '' the missing bin), and its splits are `BRANCH_MEMBER` over the bins of the
 * smaller side. The parts of a timestamp (see `addTimeParts`) are numeric features, named by
 * `timePartName`, after the numeric inputs.
 */
export function exportGbdtOnnx(model: GbdtModel, spec: FeatureSpec, summary: Readonly<Record<string, unknown>> = {}): Uint8Array {
  const expected = model.features.map((f) => `${f.name}:${f.kind}`).join(', ');
  if (modelFeaturesOf(spec).join(', ') !== expected) {
    throw new InvalidInputError('spec.features', `must list the model's features in its order (${expected}; time parts after the numeric inputs)`);
  }
  const g = new OnnxGraphBuilder('gradient_boosted_trees', `${model.task === 'classification' ? `P(${spec.label} = 1)` : spec.label} by gradient-boosted trees`);
  addFeatureInputs(g, spec);

  const columns = model.features.map((feature) => {
    if (feature.kind === 'numeric') return feature.name;
    const code = `bin:${feature.name}`;
    g.node('LabelEncoder', [feature.name], [code], {
      keys_strings: attr.strings([...feature.categories, '']),
      values_floats: attr.floats([...feature.categories.map((_, i) => i), feature.missingBin]),
      default_float: attr.float(feature.otherBin),
    }, ML);
    g.describe(code, 'float', [BATCH, 1]);
    return code;
  });
  g.node('Concat', columns, ['features:all'], { axis: attr.int(1) });
  g.describe('features:all', 'float', [BATCH, model.features.length]);

  g.node('TreeEnsemble', ['features:all'], ['trees:sum'], ensembleAttributes(model), ML);
  g.describe('trees:sum', 'float', [BATCH, 1]);
  g.initializer({ name: 'const:base_score', type: 'float', dims: [1], data: Float32Array.of(model.baseScore) });
  const scoreName = model.task === 'classification' ? 'score:raw' : 'variable';
  g.node('Add', ['trees:sum', 'const:base_score'], [scoreName]);

  if (model.task === 'classification') {
    g.describe('score:raw', 'float', [BATCH, 1]);
    g.initializer({ name: 'const:one', type: 'float', dims: [1], data: Float32Array.of(1) });
    g.initializer({ name: 'const:half', type: 'float', dims: [1], data: Float32Array.of(0.5) });
    g.initializer({ name: 'const:flat', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) });
    g.node('Sigmoid', ['score:raw'], ['probability:1']);
    g.node('Sub', ['const:one', 'probability:1'], ['probability:0']);
    g.node('Concat', ['probability:0', 'probability:1'], ['probabilities'], { axis: attr.int(1) });
    g.node('Greater', ['probability:1', 'const:half'], ['label:bool']);
    g.node('Cast', ['label:bool'], ['label:column'], { to: attr.int(7) });
    g.node('Reshape', ['label:column', 'const:flat'], ['label']);
    for (const name of ['probability:1', 'probability:0']) g.describe(name, 'float', [BATCH, 1]);
    g.describe('label:bool', 'bool', [BATCH, 1]);
    g.describe('label:column', 'int64', [BATCH, 1]);
    g.output('label', 'int64', [BATCH], `predicted ${spec.label}: 1 when P > 0.5`);
    g.output('probabilities', 'float', [BATCH, 2], `[P(${spec.label} = 0), P(${spec.label} = 1)]`);
  } else {
    g.output('variable', 'float', [BATCH, 1], `predicted ${spec.label}`);
  }

  return encodeOnnxModel({
    graph: g.build(),
    opsets: GBDT_OPSETS,
    irVersion: GBDT_IR_VERSION,
    docString: `Gradient-boosted trees (${model.trees.length}) predicting ${spec.label} from ${spec.features.map((f) => f.name).join(', ')}`,
    metadata: {
      [FEATURE_SPEC_KEY]: JSON.stringify(spec),
      [GBDT_METADATA_KEY]: JSON.stringify({ task: model.task, trees: model.trees.length, baseScore: model.baseScore, ...summary }),
    },
  });
}

/** The features the trees split on, as `name:kind`, that a spec's inputs give: numeric inputs, time parts, categorical inputs. */
function modelFeaturesOf(spec: FeatureSpec): string[] {
  const of = (kind: FeatureSpec['features'][number]['kind']) => spec.features.filter((f) => f.kind === kind);
  return [
    ...of('numeric').map((f) => `${f.name}:numeric`),
    ...of('timestamp').flatMap((f) => (f.parts ?? []).map((part) => `${timePartName(f.name, part)}:numeric`)),
    ...of('categorical').map((f) => `${f.name}:categorical`),
  ];
}

/**
 * The TreeEnsemble attributes: split nodes and leaves numbered across all trees, in the order
 * trees and nodes are stored. A model without trees gets one whose two leaves are 0, so the
 * graph keeps its shape and predicts the base score.
 */
function ensembleAttributes(model: GbdtModel) {
  const roots: number[] = [];
  const featureIds: number[] = [];
  const modes: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const missingTrue: number[] = [];
  const members: number[] = [];
  const leafWeights: number[] = [];

  for (const tree of model.trees) {
    const splitId = new Int32Array(tree.nodeCount).fill(-1);
    const leafId = new Int32Array(tree.nodeCount).fill(-1);
    let splitsSoFar = featureIds.length;
    for (let node = 0; node < tree.nodeCount; node++) {
      if ((tree.feature[node] as number) >= 0) splitId[node] = splitsSoFar++;
      else {
        leafId[node] = leafWeights.length;
        leafWeights.push(tree.value[node] as number);
      }
    }
    roots.push(splitId[0] as number);
    for (let node = 0; node < tree.nodeCount; node++) {
      const feature = tree.feature[node] as number;
      if (feature < 0) continue;
      const bins = model.features[feature]!;
      let trueChild = tree.left[node] as number;
      let falseChild = tree.right[node] as number;
      featureIds.push(feature);
      if (bins.kind === 'numeric') {
        const threshold = tree.thresholdBin[node] as number;
        modes.push(BRANCH_LEQ);
        // The last present bin has no upper edge: every present value goes left.
        splits.push(threshold < bins.edges.length ? (bins.edges[threshold] as number) : Number.POSITIVE_INFINITY);
        missingTrue.push(tree.missingLeft[node] as number);
      } else {
        const { set, left } = memberSet(tree, node, bins.missingBin);
        if (!left) [trueChild, falseChild] = [falseChild, trueChild];
        modes.push(BRANCH_MEMBER);
        splits.push(0);
        missingTrue.push(0);
        members.push(...set, Number.NaN);
      }
      const isLeaf = (child: number) => (tree.feature[child] as number) < 0;
      trueIds.push(isLeaf(trueChild) ? (leafId[trueChild] as number) : (splitId[trueChild] as number));
      trueLeafs.push(isLeaf(trueChild) ? 1 : 0);
      falseIds.push(isLeaf(falseChild) ? (leafId[falseChild] as number) : (splitId[falseChild] as number));
      falseLeafs.push(isLeaf(falseChild) ? 1 : 0);
    }
  }
  if (model.trees.length === 0) {
    roots.push(0);
    featureIds.push(0);
    modes.push(BRANCH_LEQ);
    splits.push(0);
    missingTrue.push(0);
    trueIds.push(0);
    trueLeafs.push(1);
    falseIds.push(1);
    falseLeafs.push(1);
    leafWeights.push(0, 0);
  }

  const tensor = (name: string, data: Float32Array) => attr.tensor({ name, type: 'float', dims: [data.length], data });
  return {
    tree_roots: attr.ints(roots),
    nodes_featureids: attr.ints(featureIds),
    nodes_modes: attr.tensor({ name: 'nodes_modes', type: 'uint8', dims: [modes.length], data: Uint8Array.from(modes) }),
    nodes_splits: tensor('nodes_splits', Float32Array.from(splits)),
    nodes_truenodeids: attr.ints(trueIds),
    nodes_trueleafs: attr.ints(trueLeafs),
    nodes_falsenodeids: attr.ints(falseIds),
    nodes_falseleafs: attr.ints(falseLeafs),
    nodes_missing_value_tracks_true: attr.ints(missingTrue),
    ...(members.length > 0 ? { membership_values: tensor('membership_values', Float32Array.from(members)) } : {}),
    leaf_targetids: attr.ints(leafWeights.map(() => 0)),
    leaf_weights: tensor('leaf_weights', Float32Array.from(leafWeights)),
    n_targets: attr.int(1),
    aggregate_function: attr.int(AGGREGATE_SUM),
    post_transform: attr.int(POST_TRANSFORM_NONE),
  };
}

/**
 * The bins of a categorical split's smaller side, and whether that side is the left one: fewer
 * members make a cheaper test (onnxruntime turns small sets into a bit mask).
 */
function memberSet(tree: GbdtTree, node: number, missingBin: number): { set: number[]; left: boolean } {
  const leftBins: number[] = [];
  const rightBins: number[] = [];
  for (let bin = 0; bin <= missingBin; bin++) (tree.goesLeft[node * BIN_SLOTS + bin] ? leftBins : rightBins).push(bin);
  return leftBins.length <= rightBins.length ? { set: leftBins, left: true } : { set: rightBins, left: false };
}
