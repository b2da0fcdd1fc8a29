import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import type { ModelRef } from '../../serving/model-repository.js';
import { startPredictionServer } from '../../serving/prediction-server.js';
import { withStack } from '../context.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve <models...>')
    .description('serve registered models over HTTP (Open Inference Protocol v2 and row-oriented /predict)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .addHelpText(
      'after',
      `
Models are <name>@<alias|version>, e.g. flights-delay@champion or flights-delay@3 (alias champion when omitted).

Endpoints:
  GET  /v2/health/live, /v2/health/ready, /v2/models/<name>[/ready]
  POST /v2/models/<name>[/versions/<v>]/infer     Open Inference Protocol v2
  POST /predict   {"model": "<name>", "instances": [{"feature": value, …}]}`,
    )
    .action(async (models: string[], flags: { host: string; port: number }, command: Command) =>
      withStack(command, async (stack) => {
        const refs = models.map(parseModelRef);
        const server = await startPredictionServer({ stack, models: refs, host: flags.host, port: flags.port });
        process.stdout.write(`serving ${refs.map((r) => `${r.name}@${r.ref}`).join(', ')} at ${server.url} (Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
      }),
    );
}

/** `flights@champion` → { name: 'flights', ref: 'champion' }; `flights` → champion. */
export function parseModelRef(text: string): ModelRef {
  const [name, ref, extra] = text.split('@');
  if (!name || extra !== undefined || ref === '') {
    throw new InvalidInputError('model', `expected <name>@<alias|version>, got ${JSON.stringify(text)}`);
  }
  return { name, ref: ref ?? 'champion' };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError('--port', `expected 0–65535, got ${JSON.stringify(value)}`);
  return port;
}
