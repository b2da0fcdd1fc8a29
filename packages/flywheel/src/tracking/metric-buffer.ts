import type { Metric } from './model.js';

export interface MetricBufferOptions {
  /** Points per write. */
  batchSize: number;
  /** Longest a point waits before it is written. */
  flushIntervalMs: number;
  /** Stores one batch; must be idempotent, because a failed batch is written again. */
  write(metrics: Metric[]): Promise<void>;
}

/**
 * Buffers metric points of one run and writes them in batches: when a batch is full, when the
 * interval has passed, and on flush(). One batch is in flight at a time, so points are written
 * in the order they were logged. A batch that fails goes back to the front of the buffer and is
 * written again by the next flush; the store ignores points it already has, so a batch that did
 * reach the database before the failure is not duplicated.
 */
export class MetricBuffer {
  readonly #options: MetricBufferOptions;
  #points: Metric[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** A failure of a write nobody awaited, reported by the next flush(). */
  #unreported: unknown;

  constructor(options: MetricBufferOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#points.length;
  }

  add(point: Metric): void {
    this.#points.push(point);
    if (this.#points.length === this.#options.batchSize) {
      this.#background();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#background(), this.#options.flushIntervalMs);
      // A pending write must not keep a finished program alive; end() and flush() write explicitly.
      this.#timer.unref();
    }
  }

  /** Writes every buffered point; rejects with the first failure since the last flush. */
  async flush(): Promise<void> {
    await this.#drain();
    if (this.#unreported !== undefined) {
      const error = this.#unreported;
      this.#unreported = undefined;
      throw error;
    }
  }

  #background(): void {
    this.#drain().catch((error: unknown) => {
      this.#unreported ??= error;
    });
  }

  #drain(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const run = this.#writing.catch(() => undefined).then(async () => {
      const { batchSize, write } = this.#options;
      while (this.#points.length > 0) {
        // Take the whole buffer: points logged meanwhile start a new one, and slicing by index
        // keeps a million buffered points linear to write.
        const pending = this.#points;
        this.#points = [];
        for (let i = 0; i < pending.length; i += batchSize) {
          try {
            await write(pending.slice(i, i + batchSize));
          } catch (error) {
            this.#points = pending.slice(i).concat(this.#points);
            throw error;
          }
        }
      }
    });
    this.#writing = run;
    return run;
  }
}
