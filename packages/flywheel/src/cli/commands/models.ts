import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConflictError, InvalidInputError } from '../../core/errors.js';
import { registerModelFile } from '../../deploy/register-model.js';
import { describeOnnxModel, type TensorSpec } from '../../onnx/model-signature.js';
import { withStack } from '../context.js';
import { parseModelRef } from './serve.js';
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
          ['version', 'aliases', 'metrics', 'digest', 'run', 'trained on', 'created'],
          versions.map((v) => [
            v.version,
            (byVersion.get(v.version) ?? []).join(',') || '-',
            Object.entries(v.metrics).map(([k, x]) => `${k}=${Number.isInteger(x) ? x : Number(x.toPrecision(4))}`).join(' ') || '-',
            v.digest.slice(0, 12),
            v.runId?.slice(0, 12) ?? '-',
            v.trainingData ? `${v.trainingData.uri.split('/').at(-1) ?? ''} (${v.trainingData.digest.slice(0, 8)})` : '-',
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

  models
    .command('import <name> <file>')
    .description('register an ONNX file (e.g. exported by skl2onnx or PyTorch) as the next version of a model')
    .option('--description <text>', 'description of the version')
    .option('--tags <k=v...>', 'tags of the version, e.g. --tags source=sklearn team=risk')
    .option('--alias <alias>', 'also point this alias at the new version (e.g. challenger)')
    .option('--json', 'print JSON')
    .action(async (name: string, file: string, options: { description?: string; tags?: string[]; alias?: string; json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const path = resolve(file);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) throw new InvalidInputError('file', `${JSON.stringify(file)} is not a file`);
        // Loading the graph in onnxruntime is the check: a corrupt or truncated file fails here, before anything is stored.
        const described = await describeOnnxModel(path);
        const unsupported = described.signature.outputs.find((o) => o.type === 'non-tensor');
        if (unsupported) {
          throw new InvalidInputError('file', `output ${unsupported.name} is a map or sequence, which onnxruntime-node cannot return`, 'export probabilities as a tensor (for skl2onnx: options={"zipmap": False})');
        }
        const { version, created } = await registerModelFile(stack, { model: name, path, tags: parseTags(options.tags ?? []), description: options.description });
        if (options.alias) await stack.registry.setAlias(name, options.alias, version.version, { actor: actorName(), reason: `imported from ${path}` });
        if (options.json) return printJson({ ...version, created, alias: options.alias ?? null });
        process.stdout.write(created ? `registered ${name} v${version.version} (${version.digest.slice(0, 12)})\n` : `${name} v${version.version} already holds this file (same digest); nothing registered\n`);
        printSignature('inputs', described.signature.inputs);
        printSignature('outputs', described.signature.outputs);
        if (options.alias) process.stdout.write(`${name}@${options.alias} → v${version.version}\n`);
      }),
    );

  models
    .command('download <model>')
    .description('write the ONNX file of <name>@<alias|version> to a file')
    .requiredOption('--out <file>', 'where to write the model')
    .option('--force', 'overwrite an existing file')
    .action(async (model: string, options: { out: string; force?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const { name, ref } = parseModelRef(model);
        const version = await stack.registry.resolve(name, ref);
        const out = resolve(options.out);
        if (!options.force && (await stat(out).catch(() => undefined))) throw new ConflictError(`${options.out} already exists`, 'pass --force to overwrite it');
        await stack.artifacts.fetchFile(version.digest, out);
        process.stdout.write(`wrote ${name} v${version.version} (${version.digest.slice(0, 12)}) to ${out}\n`);
      }),
    );
}

function actorName(): string {
  return process.env.USER ?? 'cli';
}

function parseTags(list: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidInputError('--tags', `expected key=value, got ${JSON.stringify(item)}`);
    tags[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return tags;
}

function printSignature(title: string, specs: readonly TensorSpec[]): void {
  process.stdout.write(`  ${title}: ${specs.map((s) => `${s.name} ${s.type} [${s.shape.join(', ')}]`).join(', ')}\n`);
}

function formatAliases(aliases: Record<string, number>): string {
  return Object.entries(aliases).map(([alias, version]) => `${alias}→${version}`).join(' ') || '-';
}
