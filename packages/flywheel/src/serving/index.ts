export { createPredictionHandler, startPredictionServer, DEFAULT_MAX_BODY_BYTES } from './prediction-server.js';
export type { PredictionHandlerOptions, PredictionServer, PredictionServerOptions, ServingLogger } from './prediction-server.js';
export { ModelRepository } from './model-repository.js';
export type { ModelRef } from './model-repository.js';
export { InferenceError, ServedModel } from './served-model.js';
export type { HostTensor, TensorData, TensorType } from './served-model.js';
export { MethodNotAllowedError, PayloadTooLargeError } from './http-errors.js';
export type { ErrorBody } from './http-errors.js';
