import { errorMessage } from '../core/errors.js';
import { runTrial, type TrialReport, type TrialRequest } from './run-trial.js';

/** How a trial ended, as the worker answers it. */
export type TrialAnswer =
  | { type: 'done'; report: TrialReport }
  | { type: 'failed'; error: string; startedAt: number; endedAt: number };

/** Messages from a trial worker: log lines while a trial runs, then its answer. */
export type TrialWorkerMessage = { type: 'log'; level: 'info' | 'warn'; message: string } | TrialAnswer;

// The body of a trial worker process (started with forkTypeScript by TrialWorker): it
// runs the trials it is sent one after the other and answers each with a TrialAnswer. It exits
// when its parent goes away.
const send = process.send?.bind(process);
if (send === undefined) throw new Error('trial-worker.ts runs in a child process; start it with TrialWorker');
process.on('message', (request: TrialRequest) => {
  const answer = (message: TrialWorkerMessage) => send(message);
  const log = {
    info: (message: string) => answer({ type: 'log', level: 'info', message }),
    warn: (message: string) => answer({ type: 'log', level: 'warn', message }),
  };
  const startedAt = Date.now();
  runTrial(request, log).then(
    (report) => answer({ type: 'done', report }),
    (error: unknown) => answer({ type: 'failed', error: errorMessage(error), startedAt, endedAt: Date.now() }),
  );
});
process.on('disconnect', () => process.exit(0));
