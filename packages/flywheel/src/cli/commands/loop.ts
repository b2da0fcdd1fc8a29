import type { Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../../config/stack.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { withLockFile } from '../../core/lock-file.js';
import { processAlive } from '../../core/process-alive.js';
import { readControllerState, type ControllerState } from '../../controller/controller-state.js';
import type { LoopConfig } from '../../controller/loop-config.js';
import type { Firing } from '../../metadata/control-store.js';
import { withStack } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { stopSignal } from '../interrupt.js';
import { integer } from '../options.js';
import { printJson } from '../output.js';
import { progressPrinter } from '../progress.js';
import { consoleLogger } from './serve.js';
import { describeStatus } from './status-text.js';

/** A controller is taken for alive while its process lives and its heartbeat is younger than this. */
const HEARTBEAT_FRESH_MS = 10 * 60_000;

/** `flywheel up`, `flywheel status`, `flywheel trigger <name>`: the continuous-training controller. */
export function registerLoopCommands(program: Command): void {
  program
    .command('up')
    .description('run the continuous-training controller: serve, monitor, fire triggers, run pipelines, roll challengers out (until Ctrl-C)')
    .option('--loop <file>', 'the loop file (default: flywheel.loop.{ts,mjs,js,json} in the project)')
    .option('--port <n>', 'serve on this port instead of the loop file\'s', integer('--port', 0, 65535))
    .addHelpText('after', '\nExample:\n  flywheel up --loop flywheel.loop.json\n\nSee docs/continuous-training.md for the loop file.')
    .action(async (flags: { loop?: string; port?: number }, command: Command) =>
      withStack(command, async (stack) => {
        const { loadLoopConfig } = await import('../../controller/loop-config.js');
        const { startController } = await import('../../controller/controller.js');
        let loop: LoopConfig = await loadLoopConfig(stack.projectDir, flags.loop);
        if (flags.port !== undefined && loop.serve) loop = { ...loop, serve: { ...loop.serve, port: flags.port } };
        const controller = await startController({
          stack, loop, logger: consoleLogger(),
          onNote: (note) => process.stdout.write(`${note.at} ${note.text}\n`),
          onRunEvent: progressPrinter({ logs: false }),
        });
        process.stdout.write(`controller up${controller.url ? ` at ${controller.url}` : ''} (Ctrl-C to stop)\n`);
        await stopSignal();
        process.stdout.write('stopping: running pipeline runs resume at the next start\n');
        await controller.stop();
      }),
    );

  program
    .command('status')
    .description('what the controller serves, its recent triggers, runs, alerts and rollouts')
    .option('--limit <n>', 'recent firings and alerts shown', integer('--limit', 1, 1000), 10)
    .option('--json', 'print as JSON')
    .action(async (flags: { limit: number; json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const status = await gatherStatus(stack, flags.limit);
        if (flags.json) return printJson(status);
        process.stdout.write(describeStatus(status));
      }),
    );

  program
    .command('trigger <name>')
    .description('fire a trigger of the loop file by hand: the running controller starts its run, or this command runs it when no controller runs')
    .option('--loop <file>', 'the loop file (default: flywheel.loop.{ts,mjs,js,json} in the project)')
    .option('-q, --quiet', "hide the steps' log lines")
    .addHelpText('after', '\nExample:\n  flywheel trigger retrain')
    .action(async (name: string, flags: { loop?: string; quiet?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const { loadLoopConfig } = await import('../../controller/loop-config.js');
        const loop = await loadLoopConfig(stack.projectDir, flags.loop);
        const trigger = loop.triggers.find((t) => t.name === name);
        if (!trigger) throw new NotFoundError('trigger', name, `triggers in ${loop.file}: ${loop.triggers.map((t) => t.name).join(', ') || '(none)'}`);
        const record = () => stack.control.fire({
          trigger: name, eventKey: `manual:${newId('manual')}`, runId: newId('run'),
          event: { kind: 'manual', time: new Date().toISOString(), by: `${userInfo().username}@${hostname()}` },
        });
        // Who runs it is decided by the controller lock, not the heartbeat: a controller busy with a
        // long first pass still holds the lock.
        let ranHere = false;
        try {
          await withLockFile(join(stack.home, 'controller.lock'), async () => {
            ranHere = true;
            const firing = await record();
            if (!firing) throw new ConflictError(`trigger ${name} could not record the firing`);
            process.stdout.write(`fired ${name}: no controller is running, so the run ${firing.runId} runs here\n`);
            const status = await runHere(stack, loop, firing, !flags.quiet);
            process.exitCode = status === 'complete' ? EXIT.ok : EXIT.failed;
          }, { timeoutMs: 300 });
        } catch (error) {
          if (ranHere || !(error instanceof ConflictError)) throw error;
          const firing = await record();
          const state = await readControllerState(stack.home);
          process.stdout.write(`fired ${name}: run ${firing?.runId ?? '?'} starts in the controller${state ? ` (pid ${state.pid})` : ''}; follow it with \`flywheel status\`\n`);
        }
      }),
    );
}

/** Runs one firing in this process (the caller holds the controller lock, so no controller starts it too). */
async function runHere(stack: Stack, loop: LoopConfig, firing: Firing, logs: boolean): Promise<string> {
  const { FiringRunner } = await import('../../controller/firing-runner.js');
  const runner = new FiringRunner({
    stack, control: stack.control, triggers: loop.triggers, maxConcurrentRuns: loop.maxConcurrentRuns, only: firing.id,
    onRunEvent: progressPrinter({ logs }),
  });
  await runner.tick();
  await runner.drain();
  const done = (await stack.control.findFirings({ trigger: firing.trigger, limit: 20 })).find((f) => f.id === firing.id);
  return done?.status ?? 'failed';
}

/** Whether the controller that wrote the state still runs: its process lives and its heartbeat is recent (a long first pass can delay one). */
function liveController(state: ControllerState | undefined): ControllerState | undefined {
  if (!state) return undefined;
  const fresh = Date.now() - Date.parse(state.heartbeatAt) < HEARTBEAT_FRESH_MS;
  return fresh && processAlive(state.pid) ? state : undefined;
}

export interface LoopStatus {
  controller: (ControllerState & { running: boolean }) | null;
  serving: { model: string; aliases: Record<string, number> }[];
  firings: Firing[];
  alerts: Awaited<ReturnType<Stack['control']['findAlerts']>>;
  rollouts: Awaited<ReturnType<Stack['control']['findRollouts']>>;
}

async function gatherStatus(stack: Stack, limit: number): Promise<LoopStatus> {
  const state = await readControllerState(stack.home);
  const models = await stack.registry.listModels();
  const serving = [];
  for (const model of models) serving.push({ model: model.name, aliases: await stack.registry.aliases(model.name) });
  return {
    controller: state ? { ...state, running: liveController(state) !== undefined } : null,
    serving,
    firings: await stack.control.findFirings({ limit }),
    alerts: await stack.control.findAlerts({ limit }),
    rollouts: await stack.control.findRollouts({ limit }),
  };
}
