import { Command, CommanderError } from 'commander';
import { errorMessage, isFlywheelError } from '../core/errors.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDataCommands } from './commands/data.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerLineageCommand } from './commands/lineage.js';
import { registerLoopCommands } from './commands/loop.js';
import { registerModelsCommands } from './commands/models.js';
import { registerMonitorCommand } from './commands/monitor.js';
import { registerRunCommands } from './commands/run.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTrainCommand } from './commands/train.js';
import { EXIT } from './exit-codes.js';

/** Error codes that mean the command line asked for something invalid (exit 2). */
const USAGE_ERRORS = new Set(['invalid_input', 'INVALID_PARAMETER_VALUE']);

export function buildProgram(): Command {
  const program = new Command('flywheel')
    .description('Flywheel: ML pipelines, metadata, model registry and serving — from one laptop to a cluster.')
    .option('-p, --project <dir>', 'project folder (holds flywheel.config.* and .flywheel/)', process.cwd())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRunCommands(program);
  registerTrainCommand(program);
  registerLineageCommand(program);
  registerModelsCommands(program);
  registerServeCommand(program);
  registerDemoCommand(program);
  registerConfigCommands(program);
  registerDataCommands(program);
  registerLoopCommands(program);
  registerMonitorCommand(program);
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`flywheel runs list | head`) is not an error: stop quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    if (!isFlywheelError(error) && process.env.FLYWHEEL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return isFlywheelError(error) && USAGE_ERRORS.has(error.code) ? EXIT.usage : EXIT.failed;
  }
}
