import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '../config/stack.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { MethodNotAllowedError, PayloadTooLargeError, errorBody, httpStatusOf } from './http-errors.js';
import { readJsonBody, sendJson } from './http-json.js';
import { ModelRepository, type ModelRef } from './model-repository.js';
import { inferResponse, modelMetadata, parseInferRequest } from './oip-v2.js';
import { instancesToTensors, parsePredictRequest, rowPredictions } from './row-predictions.js';

/** Where the server reports requests that failed on its side (5xx). */
export interface ServingLogger {
  error(details: Record<string, unknown>, message: string): void;
}

export interface PredictionHandlerOptions {
  /** Largest request body accepted; 10 MiB by default. Larger ones get 413. */
  maxBodyBytes?: number;
  logger?: ServingLogger;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

type Handler = (request: IncomingMessage) => Promise<{ status: number; body: unknown }>;

/**
 * The HTTP routes of the prediction service over a model repository, as a node:http request
 * listener:
 *
 * - `GET  /v2/health/live`, `GET /v2/health/ready`
 * - `GET  /v2/models/{name}[/versions/{v}]` (metadata), `…/ready`
 * - `POST /v2/models/{name}[/versions/{v}]/infer` (Open Inference Protocol v2)
 * - `POST /predict` (row-oriented: `{ model, instances: [{ feature: value, … }] }`)
 *
 * Errors are JSON `{ error, code, field?, hint? }` with 400 (bad input, naming the field),
 * 404 (unknown model or route), 405, 413 or 500.
 */
export function createPredictionHandler(repository: ModelRepository, options: PredictionHandlerOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const route = (method: string, path: string): Handler => {
    let segments: string[];
    try {
      segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new InvalidInputError('path', `${JSON.stringify(path)} is not a valid URL path`);
    }
    const only = (allowed: 'GET' | 'POST', handler: Handler): Handler => {
      if (method !== allowed) throw new MethodNotAllowedError(method, path, [allowed]);
      return handler;
    };
    const [first, second, third] = segments;
    if (segments.length === 1 && first === 'predict') return only('POST', (request) => predict(request));
    if (first !== 'v2') throw new NotFoundError('route', path, 'see docs/models.md for the endpoints');
    if (segments.length === 3 && second === 'health' && (third === 'live' || third === 'ready')) {
      return only('GET', async () => ({ status: 200, body: { [third]: true } }));
    }
    if (second === 'models' && third !== undefined) {
      let rest = segments.slice(3);
      let version: number | undefined;
      if (rest[0] === 'versions') {
        version = parseVersion(rest[1]);
        rest = rest.slice(2);
      }
      if (rest.length === 0) return only('GET', async () => ({ status: 200, body: metadata(third, version) }));
      if (rest.length === 1 && rest[0] === 'ready') {
        return only('GET', async () => ({ status: 200, body: { name: third, version: String(repository.get(third, version).version), ready: true } }));
      }
      if (rest.length === 1 && rest[0] === 'infer') return only('POST', (request) => infer(request, third, version));
    }
    throw new NotFoundError('route', path, 'see docs/models.md for the endpoints');
  };

  const metadata = (name: string, version: number | undefined) =>
    modelMetadata(version === undefined ? repository.versions(name) : [repository.get(name, version)]);

  const infer = async (request: IncomingMessage, name: string, version: number | undefined): ReturnType<Handler> => {
    const model = repository.get(name, version);
    const parsed = parseInferRequest(await readJsonBody(request, maxBodyBytes));
    const outputs = await model.infer(parsed.inputs, parsed.outputs);
    return { status: 200, body: inferResponse(model, parsed.id, outputs) };
  };

  const predict: Handler = async (request) => {
    const parsed = parsePredictRequest(await readJsonBody(request, maxBodyBytes));
    const names = repository.names();
    if (parsed.model === undefined && names.length > 1) {
      throw new InvalidInputError('model', `required: this server serves ${names.join(', ')}`);
    }
    const model = repository.get(parsed.model ?? (names[0] as string), parsed.version);
    const tensors = instancesToTensors(model, parsed.instances, parsed.field);
    const classifier = model.classifier;
    const fetches = classifier ? [classifier.probability, classifier.label].filter((name) => name !== undefined) : undefined;
    const outputs = await model.infer(tensors, fetches);
    return {
      status: 200,
      body: { predictions: rowPredictions(model, outputs, parsed.instances.length), model: model.name, version: model.version },
    };
  };

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    Promise.resolve()
      .then(() => route(request.method ?? 'GET', url.pathname)(request))
      .then(
        ({ status, body }) => sendJson(response, status, body),
        (error: unknown) => {
          const status = httpStatusOf(error);
          if (status >= 500) options.logger?.error({ err: error, method: request.method, path: url.pathname }, 'prediction request failed');
          const headers: Record<string, string> = {};
          if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
          // The rest of an oversized body is never read, so the connection cannot be reused.
          if (error instanceof PayloadTooLargeError) headers.connection = 'close';
          if (!response.headersSent) sendJson(response, status, errorBody(error), headers);
          else response.destroy();
        },
      );
  };
}

function parseVersion(text: string | undefined): number {
  if (text === undefined || !/^[1-9][0-9]*$/.test(text)) throw new InvalidInputError('version', `${JSON.stringify(text ?? '')} is not a version number`);
  return Number(text);
}

export interface PredictionServerOptions extends PredictionHandlerOptions {
  stack: Pick<Stack, 'registry' | 'artifacts'>;
  /** Models to serve: a name and a version number or alias each (`champion`). */
  models: readonly ModelRef[];
  /** `127.0.0.1` by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface PredictionServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  repository: ModelRepository;
  close(): Promise<void>;
}

/**
 * Loads the models (resolving aliases through the registry, fetching files from the artifact
 * store) and serves predictions over HTTP until closed.
 *
 * @example
 *   const server = await startPredictionServer({ stack, models: [{ name: 'flights', ref: 'champion' }], port: 8080 });
 *   // curl -s localhost:8080/predict -d '{"instances":[{"distance":500,"hour":8,"dow":2,"origin":"SFO","destination":"LAX"}]}'
 *   await server.close();
 */
export async function startPredictionServer(options: PredictionServerOptions): Promise<PredictionServer> {
  const repository = await ModelRepository.load(options.stack, options.models);
  const server = createServer(createPredictionHandler(repository, options));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await repository.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    repository,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await repository.close();
      })();
      return closed;
    },
  };
}
