import type { ServingMetrics } from '../serving-metrics.js';
import type { PredictionLogSink, PredictionRecord } from './prediction-log-sink.js';
import { decodeRecords, encodePrediction, type LoggedPrediction } from './prediction-ndjson.js';

/**
 * Size of the buffers the queue appends to: few enough per flush to write in one call, small
 * enough that an idle server holds little.
 */
const CHUNK_BYTES = 256 * 1024;

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
 *
 * A request is encoded as NDJSON when it is logged and appended to byte buffers outside the JS
 * heap: a queue of live tensors and records would be promoted to the old generation and make the
 * collector (and a flush that turns them into text) stall requests.
 */
export class PredictionLogger {
  private chunks: Buffer[] = [];
  private chunk: Buffer | undefined;
  private used = 0;
  /** Records not yet handed to a write. */
  private pending = 0;
  /** Records pending or being written. */
  private queuedRecords = 0;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PredictionLoggerOptions) {
    options.metrics?.registry.onCollect(() => {
      options.metrics?.logQueueDepth.labels().set(this.queuedRecords);
      if (options.sink.pendingBatches) options.metrics?.logPendingBatches.labels().set(options.sink.pendingBatches());
    });
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
    try {
      this.append(encodePrediction(entry));
    } catch (error) {
      this.options.metrics?.logDropped.labels('write_failed').inc(entry.rows);
      this.options.onError?.(error);
      return;
    }
    this.pending += entry.rows;
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
    if (this.pending === 0) return;
    const chunks = this.take();
    const count = this.pending;
    this.pending = 0;
    this.writing = this.write(chunks, count).finally(() => {
      this.queuedRecords -= count;
      this.writing = undefined;
    });
    await this.writing;
    if (this.queuedRecords >= this.options.flushRecords) await this.flush();
    else if (this.pending > 0) this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs).unref();
  }

  /** Writes everything queued and resolves once readers of the sink see it (the prediction log's Parquet). */
  async settle(): Promise<void> {
    await this.flush();
    await this.options.sink.readable?.();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.options.sink.close();
  }

  /** Appends whole lines only, so every chunk can be decoded on its own. */
  private append(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; Buffer#write would cut a line that does not fit.
    const room = text.length * 3;
    if (!this.chunk || this.used + room > this.chunk.length) {
      if (this.chunk && this.used > 0) this.chunks.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room));
      this.used = 0;
    }
    this.used += this.chunk.write(text, this.used);
  }

  private take(): Buffer[] {
    const chunks = this.chunks;
    if (this.chunk && this.used > 0) chunks.push(this.chunk.subarray(0, this.used));
    this.chunks = [];
    this.chunk = undefined;
    this.used = 0;
    return chunks;
  }

  private async write(chunks: readonly Buffer[], count: number): Promise<void> {
    try {
      const sink = this.options.sink;
      if (sink.writeNdjson) {
        await sink.writeNdjson(chunks);
      } else {
        const records: PredictionRecord[] = [];
        for (let i = 0; i < chunks.length; i++) {
          // A chunk is a few hundred records: yield between them, so requests never wait for a large batch.
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          for (const record of decodeRecords((chunks[i] as Buffer).toString())) records.push(record);
        }
        await sink.write(records);
      }
      this.options.metrics?.logWritten.labels().inc(count);
    } catch (error) {
      this.options.metrics?.logDropped.labels('write_failed').inc(count);
      this.options.onError?.(error);
    }
  }
}
