import type { RunEvent } from '../pipeline/run-events.js';
import { formatDuration } from './output.js';

export interface ProgressOptions {
  /** Print the lines steps log (default true). */
  logs?: boolean;
  write?: (text: string) => void;
}

/**
 * Renders run events as lines, as they happen: one per step start and end, the steps' own log
 * lines indented beneath, and a summary. Plain lines (no cursor tricks) read the same in a
 * terminal, a CI log and a file.
 */
export function progressPrinter(options: ProgressOptions = {}): (event: RunEvent) => void {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const showLogs = options.logs ?? true;
  const started = new Map<string, number>();
  return (event) => {
    switch (event.type) {
      case 'run-started':
        write(`${event.resumed ? 'resuming' : 'run'} ${event.runId} — pipeline ${event.pipeline}, ${event.steps} steps\n`);
        break;
      case 'step-started':
        started.set(event.step, Date.now());
        write(`  ▸ ${event.step} started\n`);
        break;
      case 'step-log':
        if (showLogs) write(`    ${event.step} │ ${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
        break;
      case 'step-retrying':
        write(`  ↻ ${event.step} attempt ${event.attempt - 1} failed (${firstLine(event.error)}); retrying in ${formatDuration(event.delayMs)}\n`);
        break;
      case 'step-cached':
        write(`  ≡ ${event.step} ${event.resumed ? 'done earlier in this run' : `cached (from execution ${event.cachedFrom})`}\n`);
        break;
      case 'step-completed':
        write(`  ✓ ${event.step} ${formatDuration(event.durationMs)}${event.attempts > 1 ? ` (${event.attempts} attempts)` : ''}\n`);
        break;
      case 'step-failed':
        write(`  ✗ ${event.step} failed${event.attempts > 1 ? ` after ${event.attempts} attempts` : ''}: ${event.error}\n`);
        break;
      case 'step-canceled':
        write(`  ■ ${event.step} canceled\n`);
        break;
      case 'run-finished': {
        const c = event.counts;
        const parts = [
          c.completed && `${c.completed} ran`,
          c.cached && `${c.cached} cached`,
          c.reused && `${c.reused} done earlier`,
          c.failed && `${c.failed} failed`,
          c.canceled && `${c.canceled} canceled`,
          c.notRun && `${c.notRun} not run`,
        ].filter(Boolean);
        write(`${event.status} in ${formatDuration(event.durationMs)} — ${parts.join(', ') || 'no steps'}\n`);
        if (event.status !== 'complete') {
          if (event.error) write(`  ${event.error}\n`);
          write(`  continue it with: flywheel resume ${event.runId}\n`);
        }
        break;
      }
    }
  };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/** Runs `work`, telling the person at the terminal what is going on when it takes over a second. */
export async function withProgress<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let announced = false;
  const timer = setTimeout(() => {
    announced = true;
    process.stderr.write(`${label}…\n`);
  }, 1000);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    if (announced) process.stderr.write(`${label}: ${formatDuration(performance.now() - started)}\n`);
  }
}
