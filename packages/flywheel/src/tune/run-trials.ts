import { errorMessage } from '../core/errors.js';
import type { StepLogger } from '../pipeline/component.js';
import type { TrialReport, TrialRequest } from './run-trial.js';
import { TrialWorker } from './trial-worker-client.js';

/** How one trial ended. */
export type TrialOutcome = {
  request: TrialRequest;
  /** Which of the `parallelism` worker slots ran it, from 1. */
  worker: number;
  /** Epoch milliseconds; measured in the worker when it answered. */
  startedAt: number;
  endedAt: number;
} & ({ status: 'finished'; report: TrialReport } | { status: 'failed' | 'killed'; error: string });

export interface RunTrialsOptions {
  /** Trials at once, each in its own worker process. */
  parallelism: number;
  /** Aborting terminates the workers: running trials end `killed`, waiting ones never start. */
  signal?: AbortSignal;
  /** Receives the trainers' log lines, prefixed with the trial. */
  log?: StepLogger;
  /** Called before a trial is sent to its worker; a rejection stops the search. */
  onStart?: (request: TrialRequest) => Promise<void>;
  /** Receives each trial's outcome as it ends; a rejection stops the search. */
  onEnd: (outcome: TrialOutcome) => Promise<void>;
}

/**
 * Runs trials on `parallelism` worker processes, each taking the next waiting trial when its last one
 * ends, and hands every outcome to `onEnd`. A failing trial (the trainer threw, or its thread
 * died) is an outcome, not an error: the other trials go on, and a dead thread is replaced.
 * Resolves when every trial has ended; rejects with the signal's reason after a cancellation,
 * once the killed trials are reported.
 *
 * @example
 *   await runTrials(requests, { parallelism: 2, signal, onEnd: async (o) => console.log(o.request.trial, o.status) });
 */
export async function runTrials(requests: readonly TrialRequest[], options: RunTrialsOptions): Promise<void> {
  const { signal, log } = options;
  const workers = new Set<TrialWorker>();
  const stopAll = () => {
    for (const worker of workers) void worker.terminate();
  };
  let next = 0;
  let halted = false;

  const slot = async (worker: number): Promise<void> => {
    let thread: TrialWorker | undefined;
    while (!halted && !signal?.aborted && next < requests.length) {
      const request = requests[next++] as TrialRequest;
      if (!thread?.alive) {
        thread = new TrialWorker();
        workers.add(thread);
      }
      await options.onStart?.(request);
      await options.onEnd(await runOne(thread, request, worker, signal, log));
    }
  };

  signal?.addEventListener('abort', stopAll, { once: true });
  try {
    const slots = await Promise.allSettled(
      Array.from({ length: Math.min(options.parallelism, requests.length) }, (_, i) =>
        slot(i + 1).catch((error: unknown) => {
          // An observer (tracking) failed: hand out no more trials, stop the running ones, then report the error.
          halted = true;
          stopAll();
          throw error;
        }),
      ),
    );
    const failed = slots.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } finally {
    signal?.removeEventListener('abort', stopAll);
    await Promise.all([...workers].map((worker) => worker.terminate()));
  }
  signal?.throwIfAborted();
}

async function runOne(thread: TrialWorker, request: TrialRequest, worker: number, signal: AbortSignal | undefined, log: StepLogger | undefined): Promise<TrialOutcome> {
  const prefix = `trial ${request.trial}: `;
  const trialLog: StepLogger = {
    info: (message) => log?.info(prefix + message),
    warn: (message) => log?.warn(prefix + message),
  };
  const sentAt = Date.now();
  try {
    const answer = await thread.run(request, trialLog);
    if (answer.type === 'done') {
      return { request, worker, status: 'finished', report: answer.report, startedAt: answer.report.startedAt, endedAt: answer.report.endedAt };
    }
    return { request, worker, status: 'failed', error: answer.error, startedAt: answer.startedAt, endedAt: answer.endedAt };
  } catch (error) {
    const killed = signal?.aborted === true;
    return { request, worker, status: killed ? 'killed' : 'failed', error: killed ? 'canceled' : errorMessage(error), startedAt: sentAt, endedAt: Date.now() };
  }
}
