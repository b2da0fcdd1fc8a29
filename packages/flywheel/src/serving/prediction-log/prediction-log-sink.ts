import type { JsonValue } from '../../core/json.js';

/** One predicted row, as the prediction log keeps it for monitoring. */
export interface PredictionRecord {
  /** Returned to the caller (body and `x-prediction-id`); shared by the rows of one request and by its shadow. */
  predictionId: string;
  /** The row's index within its request. */
  row: number;
  timestamp: Date;
  model: string;
  version: number;
  /** `champion`, `challenger` (canary), `pinned` (asked for by version) or `shadow` (mirrored, never returned). */
  arm: string;
  /** The endpoint that answered, e.g. `v2_infer`, `predict`, `mlflow_invocations`. */
  endpoint: string;
  /** Model inputs of this row by name: a value, or an array for inputs wider than one. */
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  /** Time from request to response, in milliseconds (for the shadow: its own inference time). */
  latencyMs: number;
}

/**
 * Where prediction records go: the port of the prediction log. The server never waits on it —
 * records reach `write` in batches from a bounded queue — so a sink may be slow, and a sink that
 * fails loses only the batch it was given.
 *
 * @example
 *   const sink: PredictionLogSink = { async write(records) { await send(records); }, async close() {} };
 */
export interface PredictionLogSink {
  write(records: readonly PredictionRecord[]): Promise<void>;
  /**
   * Optional: the same records as NDJSON bytes (see encodePrediction), which the queue already holds,
   * so a sink that stores text is spared building an object per record on the server's thread.
   */
  writeNdjson?(chunks: readonly Buffer[]): Promise<void>;
  /** Optional: batches written but not yet readable, for a sink that finishes its writes later. */
  pendingBatches?(): number;
  /** Optional: resolves once what was written so far is readable, for a sink that finishes its writes later. */
  readable?(): Promise<void>;
  close(): Promise<void>;
}
