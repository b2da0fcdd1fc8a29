import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../core/errors.js';
import { runTrial, type TrialReport, type TrialRequest } from './run-trial.js';

/** How a trial ended, as the worker answers it. */
export type TrialAnswer =
  | { type: 'done'; report: TrialReport }
  | { type: 'failed'; error: string; startedAt: number; endedAt: number };

/** Messages from a trial worker: log lines while a trial runs, then its answer. */
export type TrialWorkerMessage = { type: 'log'; level: 'info' | 'warn'; message: string } | TrialAnswer;

// The body of a trial worker thread (started through trial-worker-entry.mjs): it runs the trials
// it is sent one after the other and answers each with a TrialAnswer.
const port = parentPort;
if (port === null) throw new Error('trial-worker.ts runs in a worker thread; start it with TrialWorker');
port.on('message', (request: TrialRequest) => {
  const send = (message: TrialWorkerMessage) => port.postMessage(message);
  const log = {
    info: (message: string) => send({ type: 'log', level: 'info', message }),
    warn: (message: string) => send({ type: 'log', level: 'warn', message }),
  };
  const startedAt = Date.now();
  runTrial(request, log).then(
    (report) => send({ type: 'done', report }),
    (error: unknown) => send({ type: 'failed', error: errorMessage(error), startedAt, endedAt: Date.now() }),
  );
});
