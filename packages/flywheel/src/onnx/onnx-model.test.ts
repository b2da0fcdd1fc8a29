import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { OnnxGraphBuilder } from './graph-builder.js';
import { binaryClassifierOutputs, describeOnnxModel, type ModelSignature } from './model-signature.js';
import { attr, encodeOnnxModel, readOnnxHeader } from './onnx-model.js';
import { onnxRuntime, openInferenceSession } from './onnx-runtime.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** y = x · w + b with a string passed through Identity: float, int64 and string tensors. */
function tinyModel(): Uint8Array {
  const g = new OnnxGraphBuilder('tiny');
  g.input('x', 'float', ['N', 2]);
  g.input('name', 'string', ['N', 1]);
  g.initializer({ name: 'w', type: 'float', dims: [2, 1], data: Float32Array.of(2, -1) });
  g.initializer({ name: 'b', type: 'float', dims: [1], data: Float32Array.of(0.5) });
  g.initializer({ name: 'shape', type: 'int64', dims: [1], data: BigInt64Array.of(-1n) });
  g.node('MatMul', ['x', 'w'], ['xw']);
  g.node('Add', ['xw', 'b'], ['y2d']);
  g.node('Reshape', ['y2d', 'shape'], ['y']);
  g.node('Identity', ['name'], ['name_out']);
  g.node('Constant', [], ['tag'], { value: attr.tensor({ name: 'tag_value', type: 'string', dims: [1], data: ['ok'] }) });
  g.output('y', 'float', ['N']);
  g.output('name_out', 'string', ['N', 1]);
  g.output('tag', 'string', [1]);
  return encodeOnnxModel({ graph: g.build(), opsets: { '': 17 }, producerVersion: '0.1.0', metadata: { purpose: 'test', 'flywheel.x': '{"a":1}' } });
}

describe('ONNX writer', () => {
  it('writes a model onnxruntime runs, with float, int64 and string tensors', async () => {
    const ort = await onnxRuntime();
    const session = await openInferenceSession(tinyModel());
    try {
      const out = await session.run({
        x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 1), [2, 2]),
        name: new ort.Tensor('string', ['a', 'b'], [2, 1]),
      });
      expect(Array.from(out.y!.data as Float32Array)).toEqual([0.5, 5.5]);
      expect(out.name_out!.data).toEqual(['a', 'b']);
      expect(out.tag!.data).toEqual(['ok']);
    } finally {
      await session.release();
    }
  });

  it('reads back the header and metadata_props without the graph', () => {
    const header = readOnnxHeader(tinyModel());
    expect(header).toMatchObject({ irVersion: 8, producerName: 'flywheel', producerVersion: '0.1.0', opsets: { '': 17 } });
    expect(header.metadata).toEqual({ purpose: 'test', 'flywheel.x': '{"a":1}' });
  });

  it('describes the signature through onnxruntime', async () => {
    const path = join(dir, 'tiny.onnx');
    await writeFile(path, tinyModel());
    const described = await describeOnnxModel(path);
    expect(described.signature).toEqual({
      inputs: [
        { name: 'x', type: 'float32', shape: ['N', 2] },
        { name: 'name', type: 'string', shape: ['N', 1] },
      ],
      outputs: [
        { name: 'y', type: 'float32', shape: ['N'] },
        { name: 'name_out', type: 'string', shape: ['N', 1] },
        { name: 'tag', type: 'string', shape: [1] },
      ],
    });
    expect(described.metadata.purpose).toBe('test');
  });

  it('writes uint8 tensors, as TreeEnsemble (ai.onnx.ml 5) takes its node modes', async () => {
    const g = new OnnxGraphBuilder('modes');
    g.input('x', 'uint8', ['N']);
    g.initializer({ name: 'modes', type: 'uint8', dims: [3], data: Uint8Array.of(0, 6, 255) });
    g.node('Add', ['x', 'modes'], ['y']);
    g.output('y', 'uint8', [3]);
    const ort = await onnxRuntime();
    const session = await openInferenceSession(encodeOnnxModel({ graph: g.build(), opsets: { '': 17 } }));
    try {
      const out = await session.run({ x: new ort.Tensor('uint8', Uint8Array.of(1, 1, 0), [3]) });
      expect(Array.from(out.y!.data as Uint8Array)).toEqual([1, 7, 255]);
    } finally {
      await session.release();
    }
  });

  it('refuses bytes that are not a model', async () => {
    expect(() => readOnnxHeader(new TextEncoder().encode('hello, world'))).toThrow(InvalidInputError);
    const path = join(dir, 'not-a-model.onnx');
    await writeFile(path, 'not a model at all');
    await expect(describeOnnxModel(path)).rejects.toThrow(InvalidInputError);
  });

  it('checks the graph while it is built', () => {
    const g = new OnnxGraphBuilder('bad');
    g.input('x', 'float', ['N', 1]);
    expect(() => g.node('Relu', ['nope'], ['y'])).toThrow(/reads "nope", which nothing defines/);
    expect(() => g.node('Relu', ['x'], ['x'])).toThrow(/"x" is defined twice/);
    expect(() => g.output('z', 'float', ['N', 1])).toThrow(/never computed/);
    expect(() => g.build()).toThrow(/no outputs/);
  });

  it('refuses a tensor whose data does not fill its dims', () => {
    const g = new OnnxGraphBuilder('bad');
    g.input('x', 'float', ['N', 1]);
    g.initializer({ name: 'w', type: 'float', dims: [2, 2], data: Float32Array.of(1, 2, 3) });
    g.node('Add', ['x', 'w'], ['y']);
    g.output('y', 'float', ['N', 2]);
    expect(() => encodeOnnxModel({ graph: g.build(), opsets: { '': 17 } })).toThrow(/hold 4 values but data has 3/);
  });
});

describe('binaryClassifierOutputs', () => {
  const signature = (outputs: ModelSignature['outputs']): ModelSignature => ({ inputs: [], outputs });

  it("finds Flywheel's label and probabilities", () => {
    expect(binaryClassifierOutputs(signature([
      { name: 'label', type: 'int64', shape: ['N'] },
      { name: 'probabilities', type: 'float32', shape: ['N', 2] },
    ]))).toEqual({ probability: 'probabilities', probabilityColumn: 1, label: 'label' });
  });

  it("finds skl2onnx's outputs without ZipMap, and a single probability column", () => {
    expect(binaryClassifierOutputs(signature([
      { name: 'output_label', type: 'int64', shape: [-1] },
      { name: 'output_probability', type: 'float32', shape: [-1, 2] },
    ]))).toEqual({ probability: 'output_probability', probabilityColumn: 1, label: 'output_label' });
    expect(binaryClassifierOutputs(signature([{ name: 'p', type: 'float32', shape: ['N', 1] }])))
      .toEqual({ probability: 'p', probabilityColumn: 0, label: undefined });
  });

  it('names the outputs when none holds a probability', () => {
    expect(() => binaryClassifierOutputs(signature([{ name: 'zipmap', type: 'non-tensor', shape: [] }]))).toThrow(/zipmap \(non-tensor/);
  });
});
