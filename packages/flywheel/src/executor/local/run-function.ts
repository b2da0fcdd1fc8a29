import { mkdirSync } from 'node:fs';
import type { ArtifactSpecs, ComponentResult, FunctionComponent, RunContext } from '../../pipeline/component.js';
import { InvalidParamsError } from '../../pipeline/errors.js';
import { describeIssues } from '../../pipeline/params.js';
import type { StepTask } from '../executor.js';

/**
 * Runs a function component in this process. Its work folder is created on first read, so the
 * many steps that never use it cost no file system calls. A component that ignores its signal cannot be
 * stopped from outside, so on abort the step ends at once and the late result is dropped.
 */
export async function runFunction(task: StepTask, component: FunctionComponent, signal: AbortSignal): Promise<ComponentResult> {
  let params: unknown = task.params;
  if (component.params) {
    const parsed = component.params.safeParse(task.params);
    if (!parsed.success) throw new InvalidParamsError({ step: task.step }, describeIssues(parsed.error, 'params'));
    params = parsed.data;
  }
  const context: RunContext<unknown, ArtifactSpecs, ArtifactSpecs> = {
    params,
    inputs: task.inputs,
    outputs: task.outputs,
    log: task.log,
    signal,
    get workDir() {
      mkdirSync(task.workDir, { recursive: true });
      return task.workDir;
    },
    attempt: task.attempt,
    stack: task.stack,
    tracking: task.tracking,
    run: { id: task.runId, step: task.step, executionId: task.executionId },
  };
  return untilAborted((async () => component.run(context))(), signal);
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
