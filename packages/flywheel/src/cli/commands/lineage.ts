import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { withStack } from '../context.js';
import { printJson } from '../output.js';
import { predictionLineage } from '../../monitoring/prediction-lineage.js';
import { describePredictionLineage } from './lineage-text.js';

const DIRECTIONS = ['upstream', 'downstream', 'both'] as const;
type Direction = (typeof DIRECTIONS)[number];

export function registerLineageCommand(program: Command): void {
  program
    .command('lineage <artifact-id> [id]')
    .description('show what an artifact was made from (upstream) or what was made from it (downstream); `lineage prediction <id>` traces a prediction to its model version, training run, data, pipeline and code version, and the trigger that caused the run')
    .option('--direction <d>', `${DIRECTIONS.join(' | ')}`, parseDirection, 'upstream' as Direction)
    .option('--depth <n>', 'hops to follow (artifact → execution and execution → artifact are one hop each)', parseDepth, 6)
    .option('--json', 'print the graph as JSON (artifacts, executions, events)')
    .addHelpText('after', '\nExamples:\n  flywheel lineage 12 --direction downstream\n  flywheel lineage prediction 0c6f2d7e-5d1c-4f7e-9a51-3c1d2b8f9e10')
    .action(async (id: string, predictionId: string | undefined, flags: { direction: Direction; depth: number; json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        if (id === 'prediction') {
          if (predictionId === undefined) throw new InvalidInputError('id', 'missing: `flywheel lineage prediction <id>` takes the prediction id an answer returned');
          const lineage = await predictionLineage(stack, predictionId);
          if (flags.json) return printJson(lineage);
          return void process.stdout.write(describePredictionLineage(lineage));
        }
        if (predictionId !== undefined) throw new InvalidInputError('id', `unexpected ${JSON.stringify(predictionId)}: only \`lineage prediction <id>\` takes a second argument`);
        const { metadata } = stack;
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
