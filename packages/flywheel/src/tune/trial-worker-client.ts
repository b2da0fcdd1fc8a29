import type { ChildProcess } from 'node:child_process';
import { forkTypeScript } from '../core/fork-typescript.js';
import type { StepLogger } from '../pipeline/component.js';
import { TrialWorkerStoppedError } from './errors.js';
import type { TrialRequest } from './run-trial.js';
import type { TrialAnswer, TrialWorkerMessage } from './trial-worker.js';

const WORKER = new URL('./trial-worker.ts', import.meta.url);

interface Pending {
  resolve(answer: TrialAnswer): void;
  reject(error: Error): void;
  log: StepLogger;
}

/**
 * One worker process that runs trials one at a time, so CPU-bound training runs in parallel with
 * other trials and the main process stays free for tracking and logs. Kept for the next trial, so
 * tsx, DuckDB and onnxruntime load once per worker, not once per trial. A process rather than a
 * thread: a cancelled trial is stopped by killing it, and native libraries (onnxruntime, DuckDB)
 * can abort the whole process when a thread holding them is terminated; a worker that dies takes
 * only its trial with it.
 *
 * @example
 *   const worker = new TrialWorker();
 *   const answer = await worker.run(request, log); // { type: 'done', report } or { type: 'failed', error }
 *   await worker.terminate();
 */
export class TrialWorker {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #pending: Pending | undefined;
  #stopped: TrialWorkerStoppedError | undefined;

  constructor() {
    // Structured clone keeps NaN and ±Infinity metrics, which JSON would turn into null.
    this.#child = forkTypeScript(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    this.#child.on('message', (message: TrialWorkerMessage) => {
      const pending = this.#pending;
      if (pending === undefined) return;
      if (message.type === 'log') {
        pending.log[message.level](message.message);
        return;
      }
      this.#pending = undefined;
      pending.resolve(message);
    });
    this.#child.on('error', (error) => this.#stop(error.message));
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#stop(`exited with ${signal ?? `code ${code}`}`);
        resolve();
      });
    });
  }

  /** False once the process has stopped; a stopped worker runs no more trials. */
  get alive(): boolean {
    return this.#stopped === undefined;
  }

  /** Runs a trial; rejects with TrialWorkerStoppedError if the process stops first. */
  run(request: TrialRequest, log: StepLogger): Promise<TrialAnswer> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (this.#pending !== undefined) return Promise.reject(new Error('a trial worker runs one trial at a time'));
    return new Promise<TrialAnswer>((resolve, reject) => {
      this.#pending = { resolve, reject, log };
      this.#child.send(request);
    });
  }

  /** Stops the process at once, abandoning a running trial (whose run() rejects). */
  async terminate(): Promise<void> {
    this.#stop('terminated');
    if (this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid !== undefined) this.#child.kill('SIGKILL');
    if (this.#child.pid !== undefined) await this.#exited;
  }

  #stop(reason: string): void {
    this.#stopped ??= new TrialWorkerStoppedError(reason);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#stopped);
  }
}
