import type { JsonValue } from '../../core/json.js';
import type { HostTensor } from '../served-model.js';
import type { ServingMetrics } from '../serving-metrics.js';
import { tensorDataToJson } from '../tensor-json.js';
import type { PredictionLogSink, PredictionRecord } from './prediction-log-sink.js';

/** One answered request, as queued: tensors by reference, turned into rows only when written. */
export interface LoggedPrediction {
  predictionId: string;
  timestamp: number;
  model: string;
  version: number;
  arm: string;
  endpoint: string;
  latencyMs: number;
  rows: number;
  inputs: Readonly<Record<string, HostTensor>>;
  outputs: Readonly<Record<string, HostTensor>>;
}

export interface PredictionLoggerOptions {
  sink: PredictionLogSink;
  /** Share of requests logged, 0–1. */
  sampleRate: number;
  /** Records (rows) held at most; beyond, new ones are dropped and counted. */
  maxQueueRecords: number;
  /** Write once this many records are queued … */
  flushRecords: number;
  /** … or this long after the oldest was queued. */
  flushIntervalMs: number;
  metrics?: ServingMetrics;
  onError?: (error: unknown) => void;
}

/**
 * The bounded queue in front of a PredictionLogSink. `log` never waits and never grows memory
 * past `maxQueueRecords`: when the sink falls behind, records are dropped and counted
 * (`flywheel_prediction_log_dropped_total`). One write runs at a time.
 */
export class PredictionLogger {
  private queue: LoggedPrediction[] = [];
  private queuedRecords = 0;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PredictionLoggerOptions) {
    options.metrics?.registry.onCollect(() => options.metrics?.logQueueDepth.labels().set(this.queuedRecords));
  }

  /** Whether to log this request: a draw against the sample rate. */
  sampled(): boolean {
    const rate = this.options.sampleRate;
    return rate >= 1 || (rate > 0 && Math.random() < rate);
  }

  /** Records waiting (or being written). */
  get depth(): number {
    return this.queuedRecords;
  }

  log(entry: LoggedPrediction): void {
    if (this.closed || this.queuedRecords + entry.rows > this.options.maxQueueRecords) {
      this.options.metrics?.logDropped.labels('queue_full').inc(entry.rows);
      return;
    }
    this.queue.push(entry);
    this.queuedRecords += entry.rows;
    if (this.queuedRecords >= this.options.flushRecords) {
      if (!this.writing) setImmediate(() => void this.flush());
    } else {
      this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs).unref();
    }
  }

  /** Writes everything queued so far; resolves when it is written (or dropped on failure). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    let count = 0;
    for (const entry of batch) count += entry.rows;
    this.writing = this.write(batch, count).finally(() => {
      this.queuedRecords -= count;
      this.writing = undefined;
    });
    await this.writing;
    if (this.queuedRecords >= this.options.flushRecords) await this.flush();
    else if (this.queue.length > 0) this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs).unref();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.options.sink.close();
  }

  private async write(batch: readonly LoggedPrediction[], count: number): Promise<void> {
    try {
      const records: PredictionRecord[] = [];
      for (let i = 0; i < batch.length; i++) {
        // Yield now and then: the queue may hold many thousand requests, and requests must not wait for it.
        if (i > 0 && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
        for (const record of toRecords(batch[i] as LoggedPrediction)) records.push(record);
      }
      await this.options.sink.write(records);
      this.options.metrics?.logWritten.labels().inc(count);
    } catch (error) {
      this.options.metrics?.logDropped.labels('write_failed').inc(count);
      this.options.onError?.(error);
    }
  }
}

/** Splits a request's tensors into one record per row. */
export function toRecords(entry: LoggedPrediction): PredictionRecord[] {
  const inputs = rowsOf(entry.inputs, entry.rows);
  const outputs = rowsOf(entry.outputs, entry.rows);
  const timestamp = new Date(entry.timestamp);
  return Array.from({ length: entry.rows }, (_, row) => ({
    predictionId: entry.predictionId,
    row,
    timestamp,
    model: entry.model,
    version: entry.version,
    arm: entry.arm,
    endpoint: entry.endpoint,
    inputs: inputs[row] as Record<string, JsonValue>,
    outputs: outputs[row] as Record<string, JsonValue>,
    latencyMs: entry.latencyMs,
  }));
}

function rowsOf(tensors: Readonly<Record<string, HostTensor>>, rows: number): Record<string, JsonValue>[] {
  const out = Array.from({ length: rows }, () => ({}) as Record<string, JsonValue>);
  for (const name in tensors) {
    const tensor = tensors[name] as HostTensor;
    const values = tensorDataToJson(tensor.type, tensor.data);
    // A tensor without a batch axis (a constant output) is the same for every row.
    const batched = tensor.shape[0] === rows;
    const width = batched && rows > 0 ? values.length / rows : values.length;
    for (let i = 0; i < rows; i++) {
      const from = batched ? i * width : 0;
      (out[i] as Record<string, JsonValue>)[name] = width === 1 ? (values[from] as JsonValue) : values.slice(from, from + width);
    }
  }
  return out;
}
