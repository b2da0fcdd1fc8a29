import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { registerModelFile } from '../deploy/register-model.js';
import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr, encodeOnnxModel } from '../onnx/onnx-model.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticRegression } from '../train/train-logistic.js';

/**
 * A temporary project for serving tests: a real SQLite registry with `flights` v1 (all demo
 * features, alias champion) and v2 (hour only, alias challenger), and `tensor` v1, a
 * LinearRegressor over one float input [N, 4] (alias champion) as an external model would be.
 */
export async function servingFixture(): Promise<{ dir: string; stack: Stack; files: { full: string; hour: string; tensor: string }; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'flywheel-serving-'));
  const stack = await openStack({ projectDir: join(dir, 'project'), env: {} });
  const january = join(dir, 'january.parquet');
  await writeFlightsMonth(january, 1, 5_000);
  const full = await trainLogisticRegression(january, { ...FLIGHT_FEATURES, topK: 20 });
  const hour = await trainLogisticRegression(january, { label: 'delayed', numeric: ['hour'] });
  const files = { full: join(dir, 'full.onnx'), hour: join(dir, 'hour.onnx'), tensor: join(dir, 'tensor.onnx') };
  await writeFile(files.full, full.onnx);
  await writeFile(files.hour, hour.onnx);
  await writeFile(files.tensor, linearRegressorModel([1, 2, 3, 4], 0.5));
  const why = { actor: 'test', reason: 'fixture' };
  await registerModelFile(stack, { model: 'flights', path: files.full });
  await registerModelFile(stack, { model: 'flights', path: files.hour });
  await stack.registry.setAlias('flights', 'champion', 1, why);
  await stack.registry.setAlias('flights', 'challenger', 2, why);
  await registerModelFile(stack, { model: 'tensor', path: files.tensor });
  await stack.registry.setAlias('tensor', 'champion', 1, why);
  return {
    dir,
    stack,
    files,
    async dispose() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** y = x · coefficients + intercept over x float [N, F]: the shape of a scikit-learn LinearRegression exported by skl2onnx. */
export function linearRegressorModel(coefficients: number[], intercept: number): Uint8Array {
  const g = new OnnxGraphBuilder('linear');
  g.input('float_input', 'float', ['N', coefficients.length]);
  g.node('LinearRegressor', ['float_input'], ['variable'], { coefficients: attr.floats(coefficients), intercepts: attr.floats([intercept]), targets: attr.int(1) }, 'ai.onnx.ml');
  g.output('variable', 'float', ['N', 1]);
  return encodeOnnxModel({ graph: g.build(), opsets: { '': 17, 'ai.onnx.ml': 3 } });
}

/** A row of the flights model's features. */
export const FLIGHT_ROW = { distance: 500, hour: 8, dow: 2, origin: 'SFO', destination: 'LAX' };

/** OIP v2 inputs for rows of flight features. */
export function flightTensors(rows: readonly (typeof FLIGHT_ROW)[]) {
  const column = (name: keyof typeof FLIGHT_ROW, datatype: string) => ({ name, shape: [rows.length, 1], datatype, data: rows.map((r) => r[name]) });
  return [column('distance', 'FP32'), column('hour', 'FP32'), column('dow', 'FP32'), column('origin', 'BYTES'), column('destination', 'BYTES')];
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  text: string;
}

/** A request to the server under test, its JSON (or text) answer. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: response.status, body: parsed, headers: response.headers, text };
}

/** A raw HTTP exchange through node:http, for bodies that fetch cannot send (huge, trickled). */
export function rawRequest(url: string, options: { method: string; path: string; headers?: Record<string, string | number> }, write: (req: ReturnType<typeof httpRequest>) => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(options.path, url);
    const req = httpRequest(target, { method: options.method, headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
      res.on('error', reject);
    });
    // A server that answers before reading the whole body may reset the upload; the answer counts.
    req.on('error', (error) => setTimeout(() => reject(error), 200));
    write(req);
  });
}
