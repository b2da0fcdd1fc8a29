import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { withStack } from '../context.js';
import { formatTime, printJson, printTable } from '../output.js';

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('the model registry: registered models, versions and aliases');

  models
    .command('list')
    .description('list registered models with their aliases')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) =>
      withStack(command, async ({ registry }) => {
        const list = await registry.listModels();
        const rows = await Promise.all(
          list.map(async (model) => ({ ...model, aliases: await registry.aliases(model.name), versions: (await registry.listVersions(model.name)).length })),
        );
        if (options.json) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write('no registered models yet (a pipeline with a push-model step registers one)\n');
        printTable(
          ['model', 'versions', 'aliases', 'updated'],
          rows.map((m) => [m.name, m.versions, formatAliases(m.aliases), formatTime(m.updatedAt)]),
        );
      }),
    );

  models
    .command('show <name>')
    .description('show the versions of a model, their metrics and aliases, and the alias history')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) =>
      withStack(command, async ({ registry }) => {
        const model = await registry.getModel(name);
        const versions = await registry.listVersions(name);
        const aliases = await registry.aliases(name);
        const history = await registry.aliasHistory(name);
        if (options.json) return printJson({ ...model, aliases, versions, aliasHistory: history });
        process.stdout.write(`${model.name}${model.description ? ` — ${model.description}` : ''}\n\n`);
        const byVersion = new Map<number, string[]>();
        for (const [alias, version] of Object.entries(aliases)) byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
        printTable(
          ['version', 'aliases', 'metrics', 'digest', 'created'],
          versions.map((v) => [
            v.version,
            (byVersion.get(v.version) ?? []).join(',') || '-',
            Object.entries(v.metrics).map(([k, x]) => `${k}=${Number.isInteger(x) ? x : Number(x.toPrecision(4))}`).join(' ') || '-',
            v.digest.slice(0, 12),
            formatTime(v.createdAt),
          ]),
        );
        if (history.length > 0) {
          process.stdout.write('\nalias moves\n');
          printTable(
            ['when', 'alias', 'from', 'to', 'by', 'why'],
            history.map((h) => [formatTime(h.at), h.alias, h.fromVersion, h.toVersion, h.actor, h.reason]),
          );
        }
      }),
    );

  models
    .command('alias <name> <alias> <version>')
    .description('point an alias (e.g. champion) at a version; moving it back is a rollback')
    .requiredOption('--reason <text>', 'why, recorded in the alias history')
    .option('--actor <name>', 'who, recorded in the alias history', process.env.USER ?? 'cli')
    .action(async (name: string, alias: string, version: string, options: { reason: string; actor: string }, command: Command) =>
      withStack(command, async ({ registry }) => {
        const number = Number(version);
        if (!Number.isInteger(number) || number < 1) throw new InvalidInputError('version', `expected a version number, got ${JSON.stringify(version)}`);
        const move = await registry.setAlias(name, alias, number, { actor: options.actor, reason: options.reason });
        process.stdout.write(`${name}@${alias}: ${move.fromVersion ?? '(none)'} → ${move.toVersion}\n`);
      }),
    );
}

function formatAliases(aliases: Record<string, number>): string {
  return Object.entries(aliases).map(([alias, version]) => `${alias}→${version}`).join(' ') || '-';
}
