import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '../config/stack.js';
import { InvalidInputError, NotFoundError, errorMessage } from '../core/errors.js';
import { MethodNotAllowedError, errorBody, httpStatusOf, type ErrorBody } from './http-errors.js';
import { parseJsonBody, readBody, sendJson, sendText } from './http-json.js';
import { parseV1Request } from './kserve-v1.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { invocationMediaType, mlflowErrorCode, outputColumns, parseInvocation, parseJsonInvocation, type Invocation } from './mlflow-scoring.js';
import { rowsToTensors } from './model-inputs.js';
import { ModelRepository, type Arm } from './model-repository.js';
import { inferResponse, modelMetadata, parseInferRequest } from './oip-v2.js';
import { ParquetPredictionLog, predictionLogDir } from './prediction-log/parquet-prediction-log.js';
import { PredictionLogger } from './prediction-log/prediction-logger.js';
import { outputRecords, parsePredictRequest, rowOutputNames, rowPredictions } from './row-predictions.js';
import type { HostTensor, ServedModel } from './served-model.js';
import { ServingMetrics } from './serving-metrics.js';
import { compileServingOptions, type CompiledServingOptions, type PredictionServingOptions, type ServingLogger } from './serving-options.js';
import { featureKey } from './traffic-split.js';

export { DEFAULT_MAX_BODY_BYTES } from './serving-options.js';
export type { ServingLogger } from './serving-options.js';

const SERVER_NAME = 'flywheel';
const SERVER_VERSION = '0.1.0';

export interface PredictionServerOptions extends PredictionServingOptions {
  stack: Pick<Stack, 'registry' | 'artifacts'> & Partial<Pick<Stack, 'home'>>;
  /** What `/metrics` answers; by default this server's metrics (see serve-workers.ts for several processes). */
  exposeMetrics?: () => Promise<string>;
  /** Further JSON endpoints served beside the prediction ones, e.g. `POST /labels` of the controller. */
  routes?: readonly JsonRoute[];
}

/** A JSON endpoint: the parsed body in, the answer out; thrown errors become 4xx/5xx answers as for any endpoint. */
export interface JsonRoute {
  method: 'GET' | 'POST';
  /** The path, e.g. `/labels`. */
  path: string;
  /** The name requests are counted under in the metrics. */
  endpoint: string;
  handle(body: unknown): Promise<{ status: number; body: unknown }>;
}

export interface PredictionServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  repository: ModelRepository;
  metrics: ServingMetrics;
  /** The prediction log queue; undefined when logging is off. */
  predictionLog: PredictionLogger | undefined;
  /** Polls the registry now instead of waiting for the next interval (what the watcher does). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** What a handler answers: a JSON body, or text with its content type. */
interface Answer {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Per-request facts gathered on the way, for metrics and the prediction log. */
class Exchange {
  endpoint = 'unknown';
  model = '';
  version = '';
  mlflow = false;
  /** What to do once the answer is sent: log the prediction, mirror it to a shadow. */
  readonly afterSend: (() => void)[] = [];
  readonly started = performance.now();
  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
  ) {}
}

type Route = (exchange: Exchange) => Promise<Answer> | Answer;

/** A served answer, to log and to mirror. */
interface Served {
  model: ServedModel;
  arm: Arm;
  predictionId: string;
  inputs: Record<string, HostTensor>;
  outputs: Record<string, HostTensor>;
  rows: number;
}

/**
 * The prediction service: loads the models (resolving aliases through the registry), serves them
 * over HTTP, follows alias moves (hot swap), splits traffic (canary, shadow), joins concurrent
 * requests (micro-batching), logs predictions and exposes Prometheus metrics.
 *
 * Endpoints: Open Inference Protocol v2 (`/v2/…`), KServe v1 (`/v1/models/<m>:predict`), MLflow
 * scoring (`/invocations`, `/ping`, `/health`, `/version`), row-oriented `/predict`, `/metrics`.
 * Errors are JSON `{ error, code, field?, hint? }` with 400, 404, 405, 413, 415 or 500.
 *
 * @example
 *   const server = await startPredictionServer({ stack, models: [{ name: 'flights', ref: 'champion' }], port: 8080 });
 *   // curl -s localhost:8080/predict -d '{"instances":[{"distance":500,"hour":8,"dow":2,"origin":"SFO","destination":"LAX"}]}'
 *   await server.close();
 */
export async function startPredictionServer(options: PredictionServerOptions): Promise<PredictionServer> {
  const compiled = compileServingOptions(options);
  const logger = options.logger;
  const metrics = new ServingMetrics();
  const repository = await ModelRepository.load(options.stack, compiled.deployments, {
    batching: compiled.batching,
    metrics,
    logger: { info: (d, m) => logger?.info?.(d, m), warn: (d, m) => logger?.warn?.(d, m) },
  });
  const predictionLog = openPredictionLog(compiled, options.stack.home, metrics, logger);
  const handler = createPredictionHandler(repository, compiled, metrics, predictionLog, logger, options.exposeMetrics, options.routes);
  const server = createServer(
    {
      headersTimeout: compiled.headersTimeoutMs,
      requestTimeout: compiled.requestTimeoutMs,
      keepAliveTimeout: compiled.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (30 s by default), so a slow client
      // would hold its connection for up to that long past its deadline.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(compiled.headersTimeoutMs / 4))),
    },
    handler,
  );
  try {
    await listen(server, compiled.port, compiled.host);
  } catch (error) {
    await repository.close();
    await predictionLog?.close();
    throw error;
  }
  let watcher: NodeJS.Timeout | undefined;
  if (compiled.watchIntervalMs !== undefined) {
    watcher = setInterval(() => void repository.refresh(), compiled.watchIntervalMs);
    watcher.unref();
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    repository,
    metrics,
    predictionLog,
    refresh: () => repository.refresh(),
    close() {
      closed ??= (async () => {
        clearInterval(watcher);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await repository.close();
        await predictionLog?.close();
      })();
      return closed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function openPredictionLog(compiled: CompiledServingOptions, home: string | undefined, metrics: ServingMetrics, logger: ServingLogger | undefined): PredictionLogger | undefined {
  const options = compiled.predictionLog;
  if (!options) return undefined;
  const dir = options.dir ?? (home === undefined ? undefined : predictionLogDir(home));
  const onError = (error: unknown) => logger?.error({ err: errorMessage(error) }, 'prediction log write failed; its records are dropped');
  const sink = options.sink ?? (dir === undefined ? undefined : new ParquetPredictionLog(dir, {
    onError: (error) => logger?.error({ err: errorMessage(error) }, 'prediction log batch not converted to Parquet; it stays staged and is converted when the server starts next'),
  }));
  if (!sink) return undefined;
  return new PredictionLogger({
    sink,
    sampleRate: options.sampleRate,
    maxQueueRecords: options.maxQueueRecords,
    flushRecords: options.flushRecords,
    flushIntervalMs: options.flushIntervalMs,
    metrics,
    onError,
  });
}

/**
 * The request listener of the prediction service over a model repository (see
 * startPredictionServer, which also owns the watcher and the prediction log).
 */
export function createPredictionHandler(
  repository: ModelRepository,
  options: CompiledServingOptions,
  metrics: ServingMetrics,
  predictionLog: PredictionLogger | undefined,
  logger?: ServingLogger,
  exposeMetrics: () => Promise<string> = async () => metrics.expose(),
  routes: readonly JsonRoute[] = [],
): (request: IncomingMessage, response: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes;
  let shadowInFlight = 0;

  const stickyKeyOf = (exchange: Exchange, name: string, body: unknown) => () => {
    const sticky = repository.deployment(name).canary?.stickyKey;
    if (!sticky) return undefined;
    if (sticky.from === 'field') return featureKey(body, sticky.name);
    const value = exchange.request.headers[sticky.name];
    return Array.isArray(value) ? value[0] : value;
  };

  /** Picks the model and runs it in one turn, so a hot swap cannot unload it in between. */
  const serve = async (
    exchange: Exchange,
    name: string,
    version: number | undefined,
    body: unknown,
    toInputs: (model: ServedModel) => { inputs: Record<string, HostTensor>; fetch?: string[] | undefined },
  ): Promise<Served> => {
    const { model, arm } = repository.route(name, version, stickyKeyOf(exchange, name, body));
    exchange.model = model.name;
    exchange.version = String(model.version);
    if (repository.deployment(name).canary && version === undefined) metrics.canary.labels(model.name, arm, exchange.version).inc();
    const { inputs, fetch } = toInputs(model);
    const outputs = await model.infer(inputs, fetch);
    const rows = Object.values(inputs)[0]?.shape[0] ?? 0;
    const served: Served = { model, arm, predictionId: randomUUID(), inputs, outputs, rows };
    if (version === undefined) mirror(exchange, name, body, served, toInputs);
    return served;
  };

  /** Runs the shadow version on the same request after the answer is sent, and logs what it says. */
  const mirror = (
    exchange: Exchange,
    name: string,
    body: unknown,
    served: Served,
    toInputs: (model: ServedModel) => { inputs: Record<string, HostTensor> },
  ): void => {
    const shadow = repository.shadowFor(name);
    if (!shadow) return;
    const version = String(shadow.version);
    if (shadowInFlight >= options.maxShadowInFlight) {
      metrics.shadow.labels(name, version, 'skipped').inc();
      return;
    }
    shadowInFlight++;
    exchange.afterSend.push(() => {
      setImmediate(() => {
        const started = performance.now();
        let inputs: Record<string, HostTensor>;
        let running: Promise<Record<string, HostTensor>>;
        try {
          inputs = toInputs(shadow).inputs;
          running = shadow.infer(inputs);
        } catch (error) {
          running = Promise.reject(error);
          inputs = {};
        }
        running
          .then((outputs) => {
            metrics.shadow.labels(name, version, 'ok').inc();
            const disagreements = countDisagreements(served.model, served.outputs, shadow, outputs);
            if (disagreements > 0) metrics.shadowDisagreements.labels(name, version).inc(disagreements);
            if (predictionLog) {
              predictionLog.log({
                predictionId: served.predictionId, timestamp: options.clock(), model: name, version: shadow.version, arm: 'shadow',
                endpoint: exchange.endpoint, latencyMs: performance.now() - started, rows: served.rows, inputs, outputs,
              });
            }
          })
          .catch((error: unknown) => {
            metrics.shadow.labels(name, version, 'error').inc();
            logger?.warn?.({ model: name, version: shadow.version, err: errorMessage(error) }, 'shadow inference failed');
          })
          .finally(() => shadowInFlight--);
      });
    });
  };

  const record = (exchange: Exchange, served: Served): void => {
    if (!predictionLog || !predictionLog.sampled()) return;
    const { model, arm, predictionId, inputs, outputs, rows } = served;
    exchange.afterSend.push(() =>
      predictionLog.log({
        predictionId, timestamp: options.clock(), model: model.name, version: model.version, arm, endpoint: exchange.endpoint,
        latencyMs: performance.now() - exchange.started, rows, inputs, outputs,
      }),
    );
  };

  const servedHeaders = (served: Served): Record<string, string> => ({
    'x-prediction-id': served.predictionId,
    'x-model-name': served.model.name,
    'x-model-version': String(served.model.version),
  });

  const v2Infer = async (exchange: Exchange, name: string, version: number | undefined): Promise<Answer> => {
    exchange.endpoint = 'v2_infer';
    const body = parseJsonBody(await readBody(exchange.request, maxBodyBytes));
    let requestId: string | undefined;
    const served = await serve(exchange, name, version, body, (model) => {
      const parsed = parseInferRequest(body, model);
      requestId = parsed.id;
      return { inputs: parsed.inputs, fetch: parsed.outputs };
    });
    record(exchange, served);
    return { status: 200, body: inferResponse(served.model, requestId ?? served.predictionId, served.predictionId, served.outputs), headers: servedHeaders(served) };
  };

  const v1Predict = async (exchange: Exchange, name: string): Promise<Answer> => {
    exchange.endpoint = 'v1_predict';
    const body = parseJsonBody(await readBody(exchange.request, maxBodyBytes));
    const served = await serve(exchange, name, undefined, body, (model) => ({ ...parseV1Request(body, model, options.extraFields), fetch: rowOutputNames(model) }));
    record(exchange, served);
    return {
      status: 200,
      body: { predictions: v1Predictions(served), model_name: served.model.name, model_version: String(served.model.version), prediction_id: served.predictionId },
      headers: servedHeaders(served),
    };
  };

  const predict = async (exchange: Exchange): Promise<Answer> => {
    exchange.endpoint = 'predict';
    const body = parseJsonBody(await readBody(exchange.request, maxBodyBytes));
    const parsed = parsePredictRequest(body);
    const names = repository.names();
    if (parsed.model === undefined && names.length > 1) throw new InvalidInputError('model', `required: this server serves ${names.join(', ')}`);
    const where = (i: number) => (parsed.field === 'body' ? 'body' : `${parsed.field}[${i}]`);
    const served = await serve(exchange, parsed.model ?? (names[0] as string), parsed.version, parsed.field === 'body' ? parsed.instances[0] : body, (model) => ({
      inputs: rowsToTensors(model, parsed.instances, where, options.extraFields),
      fetch: rowOutputNames(model),
    }));
    record(exchange, served);
    return {
      status: 200,
      body: { predictions: rowPredictions(served.model, served.outputs, served.rows), model: served.model.name, version: served.model.version, prediction_id: served.predictionId },
      headers: servedHeaders(served),
    };
  };

  const invocations = async (exchange: Exchange, query: string): Promise<Answer> => {
    exchange.endpoint = 'mlflow_invocations';
    exchange.mlflow = true;
    const media = invocationMediaType(exchange.request.headers['content-type']);
    const text = await readBody(exchange.request, maxBodyBytes);
    const names = repository.names();
    const name = new URLSearchParams(query).get('model') ?? (names[0] as string);
    let invocation: Invocation | undefined;
    const json = media === 'json' ? parseJsonBody(text) : undefined;
    const served = await serve(exchange, name, undefined, json ?? text, (model) => {
      invocation = json === undefined ? parseInvocation(media, text, model, options.extraFields) : parseJsonInvocation(json, model, options.extraFields);
      return { inputs: invocation.inputs };
    });
    record(exchange, served);
    const predictions = invocation?.answer === 'columns' ? outputColumns(served.outputs, served.rows) : outputRecords(served.outputs, served.rows);
    return { status: 200, body: { predictions, prediction_id: served.predictionId }, headers: servedHeaders(served) };
  };

  const v2Model = (exchange: Exchange, name: string, version: number | undefined, rest: string[]): Promise<Answer> | Answer => {
    const { model } = repository.route(name, version, () => undefined);
    exchange.model = model.name;
    exchange.version = String(model.version);
    if (rest.length === 0) {
      exchange.endpoint = 'v2_metadata';
      return { status: 200, body: modelMetadata(model, repository.versions(name)) };
    }
    exchange.endpoint = 'v2_ready';
    return { status: 200, body: { name: model.name, version: String(model.version), ready: true } };
  };

  const route = (method: string, path: string, query: string): Route => {
    const segments = splitPath(path);
    const [first, second, third] = segments;
    if (first === 'v2') {
      if (segments.length === 1) {
        return allowedOnly(method, path, 'GET', (e) => ((e.endpoint = 'v2_server'), { status: 200, body: { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] } }));
      }
      if (segments.length === 3 && second === 'health' && (third === 'live' || third === 'ready')) {
        return allowedOnly(method, path, 'GET', (e) => ((e.endpoint = 'v2_health'), { status: 200, body: { [third]: true } }));
      }
      if (second === 'models' && third !== undefined) {
        let rest = segments.slice(3);
        let version: number | undefined;
        if (rest[0] === 'versions') {
          version = parseVersion(rest[1]);
          rest = rest.slice(2);
        }
        if (rest.length === 0 || (rest.length === 1 && rest[0] === 'ready')) return allowedOnly(method, path, 'GET', (e) => v2Model(e, third, version, rest));
        if (rest.length === 1 && rest[0] === 'infer') return allowedOnly(method, path, 'POST', (e) => v2Infer(e, third, version));
      }
    } else if (first === 'v1' && second === 'models') {
      if (segments.length === 2) return allowedOnly(method, path, 'GET', (e) => ((e.endpoint = 'v1_models'), { status: 200, body: { models: repository.names() } }));
      if (segments.length === 3 && third !== undefined) {
        const colon = third.lastIndexOf(':');
        if (colon > 0 && third.slice(colon) === ':predict') return allowedOnly(method, path, 'POST', (e) => v1Predict(e, third.slice(0, colon)));
        if (colon < 0) {
          return allowedOnly(method, path, 'GET', (e) => {
            e.endpoint = 'v1_metadata';
            repository.versions(third);
            return { status: 200, body: { name: third, ready: true } };
          });
        }
      }
    } else if (segments.length === 1) {
      switch (first) {
        case 'predict':
          return allowedOnly(method, path, 'POST', predict);
        case 'invocations':
          return allowedOnly(method, path, 'POST', (e) => invocations(e, query));
        case 'ping':
        case 'health':
          return allowedOnly(method, path, 'GET', (e) => ((e.mlflow = true), (e.endpoint = 'mlflow_ping'), { status: 200, text: '\n', contentType: 'application/json' }));
        case 'version':
          return allowedOnly(method, path, 'GET', (e) => ((e.endpoint = 'mlflow_version'), { status: 200, text: SERVER_VERSION, contentType: 'application/json' }));
        case 'metrics':
          return allowedOnly(method, path, 'GET', async (e) => ((e.endpoint = 'metrics'), { status: 200, text: await exposeMetrics(), contentType: PROMETHEUS_CONTENT_TYPE }));
      }
    }
    const extra = routes.find((r) => r.path === path);
    if (extra) {
      return allowedOnly(method, path, extra.method, async (e) => {
        e.endpoint = extra.endpoint;
        const body = extra.method === 'POST' ? parseJsonBody(await readBody(e.request, maxBodyBytes)) : undefined;
        return extra.handle(body);
      });
    }
    throw new NotFoundError('route', path, 'see docs/serving.md for the endpoints');
  };

  const finish = (exchange: Exchange, status: number): void => {
    metrics.requests.labels(exchange.endpoint, exchange.model, exchange.version, String(status)).inc();
    metrics.latency.labels(exchange.endpoint, exchange.model, exchange.version).observe((performance.now() - exchange.started) / 1000);
  };

  const fail = (exchange: Exchange, error: unknown): void => {
    const { request, response } = exchange;
    const status = httpStatusOf(error);
    if (status >= 500) logger?.error({ err: errorMessage(error), method: request.method, url: request.url }, 'prediction request failed');
    const headers: Record<string, string> = {};
    if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
    finish(exchange, status);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const body: ErrorBody & { error_code?: string; message?: string } = errorBody(error);
    if (exchange.mlflow) {
      body.error_code = mlflowErrorCode(status);
      body.message = body.error;
    }
    sendJson(response, status, body, headers);
  };

  return (request, response) => {
    const exchange = new Exchange(request, response);
    const url = request.url ?? '/';
    const q = url.indexOf('?');
    let pending: Promise<Answer> | Answer;
    try {
      pending = route(request.method ?? 'GET', q < 0 ? url : url.slice(0, q), q < 0 ? '' : url.slice(q + 1))(exchange);
    } catch (error) {
      fail(exchange, error);
      return;
    }
    const answer = (result: Answer) => {
      finish(exchange, result.status);
      if (result.text !== undefined) sendText(response, result.status, result.text, result.contentType ?? 'text/plain; charset=utf-8', result.headers);
      else sendJson(response, result.status, result.body, result.headers);
      for (const after of exchange.afterSend) after();
    };
    if (pending instanceof Promise) pending.then(answer, (error: unknown) => fail(exchange, error));
    else answer(pending);
  };
}

/** `handler` when the method is `allowed` (or HEAD for GET); else a 405. */
function allowedOnly(method: string, path: string, allowed: 'GET' | 'POST', handler: Route): Route {
  if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) throw new MethodNotAllowedError(method, path, [allowed]);
  return handler;
}

function splitPath(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split('/')) {
    if (part === '') continue;
    try {
      segments.push(part.includes('%') ? decodeURIComponent(part) : part);
    } catch {
      throw new InvalidInputError('path', `${JSON.stringify(path)} is not a valid URL path`);
    }
  }
  return segments;
}

function parseVersion(text: string | undefined): number {
  if (text === undefined || !/^[1-9][0-9]*$/.test(text)) throw new InvalidInputError('version', `${JSON.stringify(text ?? '')} is not a version number`);
  return Number(text);
}

/** KServe v1 predictions: one value per row for a single-output model (as KServe's servers answer), else rows as /predict gives them. */
function v1Predictions(served: Served): unknown[] {
  const names = Object.keys(served.outputs);
  if (names.length !== 1 || served.model.classifier) return rowPredictions(served.model, served.outputs, served.rows);
  const name = names[0] as string;
  return outputRecords(served.outputs, served.rows).map((row) => row[name]);
}

/** Rows where a classifier's shadow predicts another label than the answer given. */
function countDisagreements(served: ServedModel, answer: Record<string, HostTensor>, shadow: ServedModel, mirrored: Record<string, HostTensor>): number {
  const a = served.classifier?.label;
  const b = shadow.classifier?.label;
  const x = a === undefined ? undefined : answer[a]?.data;
  const y = b === undefined ? undefined : mirrored[b]?.data;
  if (!x || !y || x.length !== y.length) return 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) count++;
  return count;
}
