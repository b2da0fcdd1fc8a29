export { OnnxGraphBuilder } from './graph-builder.js';
export { attr, encodeOnnxModel, readOnnxHeader, DEFAULT_IR_VERSION } from './onnx-model.js';
export type { OnnxAttribute, OnnxDim, OnnxElementType, OnnxGraph, OnnxModel, OnnxModelHeader, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-model.js';
export { ONNX_DATA_TYPES } from './onnx-proto.js';
export { binaryClassifierOutputs, describeOnnxModel, sessionSignature, signatureToJson } from './model-signature.js';
export type { BinaryClassifierOutputs, ModelSignature, OnnxModelDescription, TensorSpec } from './model-signature.js';
export { onnxRuntime, openInferenceSession } from './onnx-runtime.js';
export type { OnnxRuntime } from './onnx-runtime.js';
