import type { JsonValue } from '../../core/json.js';
import type { HostTensor, TensorData, TensorType } from '../served-model.js';
import type { PredictionRecord } from './prediction-log-sink.js';

/** One answered request, as handed to the logger: tensors by reference, encoded at once. */
export interface LoggedPrediction {
  predictionId: string;
  timestamp: number;
  model: string;
  version: number;
  arm: string;
  endpoint: string;
  latencyMs: number;
  rows: number;
  inputs: Readonly<Record<string, HostTensor>>;
  outputs: Readonly<Record<string, HostTensor>>;
}

/**
 * Prediction records as NDJSON, one record per line, the form in which they wait in the queue and
 * reach sinks that take text:
 * `{"prediction_id","row","ts" (ms since the epoch, UTC),"model","version","arm","endpoint","inputs","outputs","latency_ms"}`.
 */
export function encodePrediction(entry: LoggedPrediction): string {
  const inputs = rowsOf(entry.inputs, entry.rows);
  const outputs = rowsOf(entry.outputs, entry.rows);
  const head = `{"prediction_id":${JSON.stringify(entry.predictionId)},"row":`;
  const tail = `,"ts":${entry.timestamp},"model":${JSON.stringify(entry.model)},"version":${entry.version},"arm":${JSON.stringify(entry.arm)},"endpoint":${JSON.stringify(entry.endpoint)},"inputs":`;
  const latency = `,"latency_ms":${Number.isFinite(entry.latencyMs) ? entry.latencyMs : 0}}\n`;
  let text = '';
  for (let row = 0; row < entry.rows; row++) text += `${head}${row}${tail}${inputs[row]},"outputs":${outputs[row]}${latency}`;
  return text;
}

/** The same line for a record built elsewhere (a sink's `write` called directly). */
export function encodeRecord(r: PredictionRecord): string {
  return `{"prediction_id":${JSON.stringify(r.predictionId)},"row":${r.row},"ts":${r.timestamp.getTime()},"model":${JSON.stringify(r.model)},"version":${r.version},"arm":${JSON.stringify(r.arm)},"endpoint":${JSON.stringify(r.endpoint)},"inputs":${JSON.stringify(r.inputs)},"outputs":${JSON.stringify(r.outputs)},"latency_ms":${Number.isFinite(r.latencyMs) ? r.latencyMs : 0}}\n`;
}

interface EncodedRecord {
  prediction_id: string;
  row: number;
  ts: number;
  model: string;
  version: number;
  arm: string;
  endpoint: string;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  latency_ms: number;
}

/** Records back from whole NDJSON lines (text ending in a newline). */
export function decodeRecords(text: string): PredictionRecord[] {
  const records: PredictionRecord[] = [];
  let from = 0;
  for (let end = text.indexOf('\n'); end >= 0; from = end + 1, end = text.indexOf('\n', from)) {
    const r = JSON.parse(text.slice(from, end)) as EncodedRecord;
    records.push({
      predictionId: r.prediction_id, row: r.row, timestamp: new Date(r.ts), model: r.model, version: r.version, arm: r.arm,
      endpoint: r.endpoint, inputs: r.inputs, outputs: r.outputs, latencyMs: r.latency_ms,
    });
  }
  return records;
}

/** Each row's tensors as a JSON object text. */
function rowsOf(tensors: Readonly<Record<string, HostTensor>>, rows: number): string[] {
  const out = new Array<string>(rows).fill('');
  for (const name in tensors) {
    const { type, data, shape } = tensors[name] as HostTensor;
    // A tensor without a batch axis (a constant output) is the same for every row.
    const batched = shape[0] === rows;
    const width = batched && rows > 0 ? data.length / rows : data.length;
    const key = JSON.stringify(name);
    for (let i = 0; i < rows; i++) {
      const from = batched ? i * width : 0;
      let value: string;
      if (width === 1) {
        value = valueText(type, data, from);
      } else {
        value = '[';
        for (let k = 0; k < width; k++) value += `${k > 0 ? ',' : ''}${valueText(type, data, from + k)}`;
        value += ']';
      }
      out[i] = `${out[i] as string}${out[i] === '' ? '' : ','}${key}:${value}`;
    }
  }
  return out.map((text) => `{${text}}`);
}

/**
 * One value of a tensor as JSON text, as tensorDataToJson and JSON.stringify would write it
 * (non-finite numbers and values past the end as null), without building an array per tensor:
 * this runs for every logged request.
 */
function valueText(type: TensorType, data: TensorData, i: number): string {
  if (i >= data.length) return 'null';
  switch (type) {
    case 'string': {
      const text = (data as string[])[i];
      return typeof text === 'string' ? JSON.stringify(text) : 'null';
    }
    case 'bool':
      return (data as Uint8Array)[i] !== 0 ? 'true' : 'false';
    case 'int64':
    case 'uint64':
      return String(Number((data as BigInt64Array)[i]));
    default: {
      const v = (data as Float64Array)[i] as number;
      return Number.isFinite(v) ? String(v) : 'null';
    }
  }
}
