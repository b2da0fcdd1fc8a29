import { InvalidInputError } from '../core/errors.js';
import type { OnnxAttribute, OnnxElementType, OnnxDim, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-model.js';

/**
 * Builds a graph node by node and checks, as it goes, that every value a node reads exists
 * already and that no name is defined twice, so a wrong graph fails here with the value's name
 * instead of inside onnxruntime.
 *
 * @example
 *   const g = new OnnxGraphBuilder('scale');
 *   g.input('x', 'float', ['N', 1]);
 *   g.initializer({ name: 'two', type: 'float', dims: [1], data: Float32Array.of(2) });
 *   g.node('Mul', ['x', 'two'], ['y']);
 *   g.output('y', 'float', ['N', 1]);
 *   const graph = g.build();
 */
export class OnnxGraphBuilder {
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly nodes: OnnxNode[] = [];
  private readonly valueInfo: OnnxValueInfo[] = [];
  private readonly defined = new Set<string>();

  constructor(private readonly name: string, private readonly docString?: string) {}

  input(name: string, type: OnnxElementType, shape: readonly OnnxDim[], docString?: string): string {
    this.define(name, 'graph input');
    this.inputs.push({ name, type, shape, docString });
    return name;
  }

  initializer(tensor: OnnxTensor): string {
    this.define(tensor.name, 'initializer');
    this.initializers.push(tensor);
    return tensor.name;
  }

  /** Adds a node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    domain = '',
  ): readonly string[] {
    const name = `${opType}_${this.nodes.length}`;
    for (const input of inputs) {
      // An empty name is how ONNX leaves an optional input out.
      if (input !== '' && !this.defined.has(input)) {
        throw new InvalidInputError(`onnx node ${name}`, `reads ${JSON.stringify(input)}, which nothing defines before it`);
      }
    }
    for (const output of outputs) this.define(output, `output of ${name}`);
    this.nodes.push({ opType, domain, name, inputs: [...inputs], outputs: [...outputs], attributes });
    return outputs;
  }

  /** Declares the type and shape of an intermediate value already computed. */
  describe(name: string, type: OnnxElementType, shape: readonly OnnxDim[]): void {
    if (!this.defined.has(name)) throw new InvalidInputError(`onnx graph ${this.name}`, `cannot describe ${JSON.stringify(name)}: it is never computed`);
    this.valueInfo.push({ name, type, shape });
  }

  output(name: string, type: OnnxElementType, shape: readonly OnnxDim[], docString?: string): void {
    if (!this.defined.has(name)) throw new InvalidInputError(`onnx graph ${this.name}`, `output ${JSON.stringify(name)} is never computed`);
    this.outputs.push({ name, type, shape, docString });
  }

  build(): OnnxGraph {
    if (this.outputs.length === 0) throw new InvalidInputError(`onnx graph ${this.name}`, 'has no outputs');
    return {
      name: this.name,
      docString: this.docString,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: [...this.initializers],
      valueInfo: [...this.valueInfo],
      nodes: [...this.nodes],
    };
  }

  private define(name: string, what: string): void {
    if (name === '') throw new InvalidInputError(`onnx graph ${this.name}`, `${what} has an empty name`);
    if (this.defined.has(name)) throw new InvalidInputError(`onnx graph ${this.name}`, `${JSON.stringify(name)} is defined twice (again as ${what})`);
    this.defined.add(name);
  }
}
