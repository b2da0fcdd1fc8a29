import { Worker } from 'node:worker_threads';
import type { StepLogger } from '../pipeline/component.js';
import { TrialWorkerStoppedError } from './errors.js';
import type { TrialRequest } from './run-trial.js';
import type { TrialAnswer, TrialWorkerMessage } from './trial-worker.js';

/** A plain-JavaScript entry that registers tsx in the new thread, then loads trial-worker.ts. */
const ENTRY = new URL('./trial-worker-entry.mjs', import.meta.url);

interface Pending {
  resolve(answer: TrialAnswer): void;
  reject(error: Error): void;
  log: StepLogger;
}

/**
 * One worker thread that runs trials one at a time, so CPU-bound training runs in parallel with
 * other trials and the main thread stays free for tracking and logs. Kept for the next trial, so
 * tsx, DuckDB and onnxruntime load once per thread, not once per trial.
 *
 * @example
 *   const worker = new TrialWorker();
 *   const answer = await worker.run(request, log); // { type: 'done', report } or { type: 'failed', error }
 *   await worker.terminate();
 */
export class TrialWorker {
  readonly #worker: Worker;
  #pending: Pending | undefined;
  #stopped: TrialWorkerStoppedError | undefined;

  constructor() {
    this.#worker = new Worker(ENTRY);
    this.#worker.on('message', (message: TrialWorkerMessage) => {
      const pending = this.#pending;
      if (pending === undefined) return;
      if (message.type === 'log') {
        pending.log[message.level](message.message);
        return;
      }
      this.#pending = undefined;
      pending.resolve(message);
    });
    this.#worker.on('error', (error) => this.#stop(error.message));
    this.#worker.on('exit', (code) => this.#stop(`exited with code ${code}`));
  }

  /** False once the thread has stopped; a stopped worker runs no more trials. */
  get alive(): boolean {
    return this.#stopped === undefined;
  }

  /** Runs a trial; rejects with TrialWorkerStoppedError if the thread stops first. */
  run(request: TrialRequest, log: StepLogger): Promise<TrialAnswer> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (this.#pending !== undefined) return Promise.reject(new Error('a trial worker runs one trial at a time'));
    return new Promise<TrialAnswer>((resolve, reject) => {
      this.#pending = { resolve, reject, log };
      this.#worker.postMessage(request);
    });
  }

  /** Stops the thread at once, abandoning a running trial (whose run() rejects). */
  async terminate(): Promise<void> {
    this.#stop('terminated');
    await this.#worker.terminate();
  }

  #stop(reason: string): void {
    this.#stopped ??= new TrialWorkerStoppedError(reason);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#stopped);
  }
}
