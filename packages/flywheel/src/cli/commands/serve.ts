import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import type { ModelRef } from '../../serving/model-repository.js';
import { startPredictionServer, type PredictionServer } from '../../serving/prediction-server.js';
import { announceListening, isServeWorker, serveWorkerMetrics, startServeWorkers } from '../../serving/serve-workers.js';
import type { ModelServingOptions, ServingLogger } from '../../serving/serving-options.js';
import { parseStickyKey } from '../../serving/traffic-split.js';
import { stopSignal } from '../interrupt.js';
import { withStack } from '../context.js';
import { collect, integer, number } from '../options.js';

interface ServeFlags {
  host: string;
  port: number;
  canary: string[];
  sticky: string[];
  shadow: string[];
  watch: boolean;
  watchInterval: number;
  batching: boolean;
  maxBatch: number;
  batchWaitMs: number;
  predictionLog: boolean;
  logSample: number;
  maxBody: number;
  rejectExtraFields?: boolean;
  headersTimeout: number;
  requestTimeout: number;
  workers: number;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve <models...>')
    .description('serve registered models over HTTP (Open Inference Protocol v2, KServe v1, MLflow /invocations, /predict)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', integer('--port', 0, 65535), 8080)
    .option('--canary <[model=]ref:percent>', 'send percent of requests to ref, e.g. challenger:10 (repeatable, one per model)', collect, [])
    .option('--sticky <[model=]header:name|field:name>', 'route the canary by the hash of a header or feature, e.g. header:x-user-id', collect, [])
    .option('--shadow <[model=]ref[:percent]>', 'mirror requests to ref off the request path, e.g. challenger (repeatable)', collect, [])
    .option('--watch-interval <ms>', 'poll the registry for alias moves this often', integer('--watch-interval', 10, 3_600_000), 2000)
    .option('--no-watch', 'serve the versions resolved at start, ignoring alias moves')
    .option('--max-batch <rows>', 'most rows joined into one onnxruntime run', integer('--max-batch', 1, 1_000_000), 64)
    .option('--batch-wait-ms <ms>', 'how long a request may wait for others to join its batch (0: none)', number('--batch-wait-ms', 0, 1000), 0)
    .option('--no-batching', 'run every request alone')
    .option('--log-sample <rate>', 'share of requests written to the prediction log, 0–1', number('--log-sample', 0, 1), 1)
    .option('--no-prediction-log', 'do not log predictions')
    .option('--max-body <bytes>', 'largest request body (e.g. 10mb, 512kb)', parseBytes, 10 * 1024 * 1024)
    .option('--reject-extra-fields', 'refuse row fields that are not model inputs (400) instead of ignoring them')
    .option('--headers-timeout <ms>', 'drop clients that take longer to send their headers', integer('--headers-timeout', 100, 600_000), 10_000)
    .option('--request-timeout <ms>', 'drop clients that take longer to send a whole request', integer('--request-timeout', 100, 3_600_000), 30_000)
    .option('--workers <n>', 'processes serving together on the port, to use several cores (each loads the models)', integer('--workers', 1, 64), 1)
    .addHelpText(
      'after',
      `
Models are <name>@<alias|version>, e.g. flights@champion or flights@3 (alias champion when omitted).
Several refs of one model: the first answers by default, the others when a request names their version.

Examples:
  flywheel serve flights@champion --canary challenger:10 --sticky header:x-user-id
  flywheel serve flights@champion --workers 2
  flywheel serve flights@champion --shadow challenger
  flywheel serve flights@champion churn@2 --port 9000

Endpoints (see docs/serving.md):
  GET  /v2, /v2/health/live, /v2/health/ready, /v2/models/<m>[/versions/<v>][/ready]
  POST /v2/models/<m>[/versions/<v>]/infer       Open Inference Protocol v2
  GET  /v1/models[/<m>]   POST /v1/models/<m>:predict                KServe v1
  POST /invocations[?model=<m>]   GET /ping, /health, /version        MLflow scoring
  POST /predict   {"model": "<m>", "instances": [{"feature": value, …}]}
  GET  /metrics   Prometheus`,
    )
    .action(async (models: string[], flags: ServeFlags, command: Command) => {
      const refs = models.map(parseModelRef);
      const served = servingOptions(refs, flags);
      if (flags.workers > 1 && !isServeWorker()) {
        const workers = await startServeWorkers({ count: flags.workers, log: (line) => process.stderr.write(`${line}\n`) });
        process.stdout.write(`serving ${workers.serving} with ${flags.workers} workers at ${workers.url} (Ctrl-C to stop)\n`);
        await stopSignal();
        await workers.stop();
        return;
      }
      const worker = isServeWorker();
      try {
        await serveInThisProcess(command, served, flags, worker);
      } finally {
        // A worker's channel to the primary must not keep it alive once its server is closed (or failed to start).
        if (worker) process.channel?.unref();
      }
    });
}

function serveInThisProcess(command: Command, served: (ModelRef | ModelServingOptions)[], flags: ServeFlags, worker: boolean): Promise<void> {
  return withStack(command, async (stack) => {
    const logger = consoleLogger();
    // Set once the server runs; until then (models loading) this worker has no metrics to give.
    const running: { server?: PredictionServer } = {};
    const server = await startPredictionServer({
      stack,
      models: served,
      host: flags.host,
      port: flags.port,
      maxBodyBytes: flags.maxBody,
      watch: flags.watch ? { intervalMs: flags.watchInterval } : false,
      batching: flags.batching ? { maxBatchRows: flags.maxBatch, maxWaitMs: flags.batchWaitMs } : false,
      predictionLog: flags.predictionLog ? { sampleRate: flags.logSample } : false,
      extraFields: flags.rejectExtraFields ? 'reject' : 'ignore',
      timeouts: { headersMs: flags.headersTimeout, requestMs: flags.requestTimeout },
      logger,
      exposeMetrics: worker ? serveWorkerMetrics(() => running.server?.metrics.expose() ?? '') : undefined,
    });
    running.server = server;
    const described = server.repository.servedRefs().map((r) => `${r.name}@${r.ref} (v${r.version})`).join(', ');
    if (worker) announceListening(server.url, described);
    else process.stdout.write(`serving ${described} at ${server.url} (Ctrl-C to stop)\n`);
    await stopSignal();
    await server.close();
  });
}

/** `flights@champion` → { name: 'flights', ref: 'champion' }; `flights` → champion. */
export function parseModelRef(text: string): ModelRef {
  const [name, ref, extra] = text.split('@');
  if (!name || extra !== undefined || ref === '') {
    throw new InvalidInputError('model', `expected <name>@<alias|version>, got ${JSON.stringify(text)}`);
  }
  return { name, ref: ref ?? 'champion' };
}

/** Applies --canary, --sticky and --shadow (each `[model=]value`) to the served models. */
export function servingOptions(refs: readonly ModelRef[], flags: Pick<ServeFlags, 'canary' | 'sticky' | 'shadow'>): (ModelRef | ModelServingOptions)[] {
  const names = [...new Set(refs.map((r) => r.name))];
  const target = (flag: string, spec: string): { name: string; value: string } => {
    const eq = spec.indexOf('=');
    if (eq > 0) {
      const name = spec.slice(0, eq);
      if (!names.includes(name)) throw new InvalidInputError(flag, `${name} is not among the served models (${names.join(', ')})`);
      return { name, value: spec.slice(eq + 1) };
    }
    if (names.length > 1) throw new InvalidInputError(flag, `name the model: ${flag} <model>=${spec} (served: ${names.join(', ')})`);
    return { name: names[0] as string, value: spec };
  };
  const options = new Map<string, ModelServingOptions>();
  const optionsOf = (name: string): ModelServingOptions => {
    let found = options.get(name);
    if (!found) {
      found = { name, ref: refs.find((r) => r.name === name)?.ref ?? 'champion' };
      options.set(name, found);
    }
    return found;
  };
  for (const spec of flags.canary) {
    const { name, value } = target('--canary', spec);
    const match = /^([^:]+):([0-9.]+)$/.exec(value);
    const percent = Number(match?.[2]);
    if (!match || !Number.isFinite(percent) || percent < 0 || percent > 100) throw new InvalidInputError('--canary', `expected <ref>:<percent 0–100>, got ${JSON.stringify(value)}`);
    optionsOf(name).canary = { challenger: match[1] as string, percent };
  }
  for (const spec of flags.sticky) {
    const { name, value } = target('--sticky', spec);
    const canary = optionsOf(name).canary;
    if (!canary) throw new InvalidInputError('--sticky', `${name} has no --canary to make sticky`);
    canary.stickyKey = parseStickyKey(value, '--sticky');
  }
  for (const spec of flags.shadow) {
    const { name, value } = target('--shadow', spec);
    const [challenger, percentText] = value.split(':');
    const percent = percentText === undefined ? 100 : Number(percentText);
    if (!challenger || !Number.isFinite(percent) || percent < 0 || percent > 100) throw new InvalidInputError('--shadow', `expected <ref>[:<percent 0–100>], got ${JSON.stringify(value)}`);
    optionsOf(name).shadow = { challenger, percent };
  }
  const used = new Set<string>();
  return refs.map((ref) => {
    const configured = options.get(ref.name);
    if (!configured || used.has(ref.name)) return ref;
    used.add(ref.name);
    return { ...configured, ref: ref.ref };
  });
}

export function consoleLogger(): ServingLogger {
  const line = (level: string, details: Record<string, unknown>, message: string) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${message} ${JSON.stringify(details)}\n`);
  return {
    error: (details, message) => line('error', details, message),
    warn: (details, message) => line('warn', details, message),
    info: (details, message) => line('info', details, message),
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `10mb` → 10485760. */
function parseBytes(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i.exec(value.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) throw new InvalidInputError('--max-body', `expected a size such as 10mb or 512kb, got ${JSON.stringify(value)}`);
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 1) throw new InvalidInputError('--max-body', 'must be at least 1 byte');
  return bytes;
}
