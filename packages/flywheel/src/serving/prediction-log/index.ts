export { ParquetPredictionLog, predictionLogDir, predictionLogRelation, readPredictionLog } from './parquet-prediction-log.js';
export type { ReadPredictionLogOptions } from './parquet-prediction-log.js';
export { PredictionLogger } from './prediction-logger.js';
export type { PredictionLoggerOptions } from './prediction-logger.js';
export type { LoggedPrediction } from './prediction-ndjson.js';
export type { PredictionLogSink, PredictionRecord } from './prediction-log-sink.js';
