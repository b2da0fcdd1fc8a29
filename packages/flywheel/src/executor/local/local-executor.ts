import type { ComponentResult } from '../../pipeline/component.js';
import type { Executor, StepTask } from '../executor.js';
import { runFunction } from './run-function.js';
import { killGroup, runCommand } from './run-command.js';
import type { ProcessGroups } from './run-command.js';

export interface LocalExecutorSettings {
  /** Steps running at once. */
  concurrency: number;
  /** After SIGTERM, how long a canceled command gets before SIGKILL. 5000 by default. */
  killGraceMs?: number;
}

/**
 * Runs function components in this process and command components as child processes, each
 * in its own process group so cancellation reaches every process a command started.
 *
 * @example
 *   const executor = new LocalExecutor({ concurrency: 4 });
 */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly concurrency: number;
  private readonly killGraceMs: number;
  private readonly groups: ProcessGroups = new Set();

  constructor(settings: LocalExecutorSettings) {
    if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${settings.concurrency}`);
    }
    this.concurrency = settings.concurrency;
    this.killGraceMs = settings.killGraceMs ?? 5_000;
  }

  async execute(task: StepTask, signal: AbortSignal): Promise<ComponentResult> {
    signal.throwIfAborted();
    const component = task.component;
    if (component.kind === 'function') return runFunction(task, component, signal);
    await runCommand(task, component, signal, { killGraceMs: this.killGraceMs, groups: this.groups });
  }

  async close(): Promise<void> {
    for (const child of this.groups) killGroup(child, 'SIGKILL');
    this.groups.clear();
  }
}
