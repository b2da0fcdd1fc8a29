import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { withStack } from '../context.js';
import { printJson } from '../output.js';

const DIRECTIONS = ['upstream', 'downstream', 'both'] as const;
type Direction = (typeof DIRECTIONS)[number];

export function registerLineageCommand(program: Command): void {
  program
    .command('lineage <artifact-id>')
    .description('show what an artifact was made from (upstream) or what was made from it (downstream)')
    .option('--direction <d>', `${DIRECTIONS.join(' | ')}`, parseDirection, 'upstream' as Direction)
    .option('--depth <n>', 'hops to follow (artifact → execution and execution → artifact are one hop each)', parseDepth, 6)
    .option('--json', 'print the graph as JSON (artifacts, executions, events)')
    .action(async (id: string, flags: { direction: Direction; depth: number; json?: boolean }, command: Command) =>
      withStack(command, async ({ metadata }) => {
        const artifactId = Number(id);
        if (!Number.isInteger(artifactId) || artifactId < 1) throw new InvalidInputError('artifact-id', `expected an artifact id (a number, shown by \`flywheel runs show\`), got ${JSON.stringify(id)}`);
        const graph = await metadata.lineage({ artifactId }, { direction: flags.direction, depth: flags.depth });
        if (flags.json) return printJson(graph);
        const artifacts = new Map(graph.artifacts.map((a) => [a.id, a]));
        const executions = new Map(graph.executions.map((e) => [e.id, e]));
        for (const execution of graph.executions) {
          const ins = graph.events.filter((e) => e.executionId === execution.id && e.kind === 'input');
          const outs = graph.events.filter((e) => e.executionId === execution.id && e.kind === 'output');
          const describe = (artifactIdOf: number, name: string) => {
            const a = artifacts.get(artifactIdOf);
            return `${name}=${a?.type ?? '?'}#${artifactIdOf}${a?.digest ? ` ${a.digest.slice(0, 10)}` : ''}`;
          };
          process.stdout.write(
            `execution ${execution.id} ${execution.name ?? ''} (${execution.type}, ${execution.state})\n` +
              `  in:  ${ins.map((e) => describe(e.artifactId, e.name)).join(', ') || '-'}\n` +
              `  out: ${outs.map((e) => describe(e.artifactId, e.name)).join(', ') || '-'}\n`,
          );
        }
        if (executions.size === 0) process.stdout.write(`artifact ${artifactId} has no ${flags.direction} lineage within ${flags.depth} hops\n`);
      }),
    );
}

function parseDirection(value: string): Direction {
  if (!(DIRECTIONS as readonly string[]).includes(value)) throw new InvalidInputError('--direction', `expected ${DIRECTIONS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Direction;
}

function parseDepth(value: string): number {
  const depth = Number(value);
  if (!Number.isInteger(depth) || depth < 0 || depth > 100) throw new InvalidInputError('--depth', `expected 0–100, got ${JSON.stringify(value)}`);
  return depth;
}
