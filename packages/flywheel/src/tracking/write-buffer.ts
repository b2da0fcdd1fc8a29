export interface WriteBufferOptions<T> {
  /** Items per write. */
  batchSize: number;
  /** Longest an item waits before it is written. */
  flushIntervalMs: number;
  /** Stores one batch; must be idempotent or all-or-nothing, because a failed batch is written again. */
  write(items: T[]): Promise<void>;
}

/**
 * Buffers items (a run's metric points, finished runs) and writes them in batches: when a batch
 * is full, when the interval has passed, and on flush(). One batch is in flight at a time, so
 * items are written in the order they were added. A batch that fails goes back to the front of
 * the buffer and is written again by the next flush; the store ignores metric points it already
 * has and writes runs all or nothing, so nothing is duplicated.
 */
export class WriteBuffer<T> {
  readonly #options: WriteBufferOptions<T>;
  #items: T[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** A failure of a write nobody awaited, reported by the next flush(). */
  #unreported: unknown;

  constructor(options: WriteBufferOptions<T>) {
    this.#options = options;
  }

  get size(): number {
    return this.#items.length;
  }

  add(point: T): void {
    this.#items.push(point);
    if (this.#items.length === this.#options.batchSize) {
      this.#background();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#background(), this.#options.flushIntervalMs);
      // A pending write must not keep a finished program alive; end() and flush() write explicitly.
      this.#timer.unref();
    }
  }

  /** Writes every buffered item; rejects with the first failure since the last flush. */
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
      while (this.#items.length > 0) {
        // Take the whole buffer: items added meanwhile start a new one, and slicing by index
        // keeps a million buffered items linear to write.
        const pending = this.#items;
        this.#items = [];
        for (let i = 0; i < pending.length; i += batchSize) {
          try {
            await write(pending.slice(i, i + batchSize));
          } catch (error) {
            this.#items = pending.slice(i).concat(this.#items);
            throw error;
          }
        }
      }
    });
    this.#writing = run;
    return run;
  }
}
