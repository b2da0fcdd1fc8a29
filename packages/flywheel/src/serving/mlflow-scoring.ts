import { InvalidInputError } from '../core/errors.js';
import { UnsupportedMediaTypeError } from './http-errors.js';
import { columnsToTensors, rowsToTensors, tableToTensors, type ExtraFields } from './model-inputs.js';
import { parseJsonBody } from './http-json.js';
import type { HostTensor, ServedModel } from './served-model.js';
import { tensorDataToJson, type JsonScalar } from './tensor-json.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export interface Invocation {
  inputs: Record<string, HostTensor>;
  rows: number;
  /** `records` for DataFrame-shaped requests (one prediction per row), `columns` for tensor-shaped ones (outputs by name). */
  answer: 'records' | 'columns';
  /** The JSON body, or for CSV the table as `dataframe_split`, for a sticky canary key. */
  body: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media type of a Content-Type header, refusing charsets other than UTF-8 (415), as MLflow does. */
export function invocationMediaType(contentType: string | undefined): 'json' | 'csv' {
  if (contentType === undefined || contentType === '') return 'json';
  const [type = '', ...parameters] = contentType.split(';').map((p) => p.trim().toLowerCase());
  for (const parameter of parameters) {
    const [key, value = ''] = parameter.split('=').map((p) => p.trim());
    if (key === 'charset' && value.replace(/"/g, '') !== 'utf-8') throw new UnsupportedMediaTypeError(contentType, ['charset=utf-8']);
  }
  if (type === 'application/json') return 'json';
  if (type === 'text/csv') return 'csv';
  throw new UnsupportedMediaTypeError(contentType, ['application/json', 'text/csv']);
}

/**
 * Parses an MLflow scoring request (`POST /invocations`): JSON with exactly one of
 * `dataframe_split`, `dataframe_records`, `instances` or `inputs` (and optionally `params`), or a
 * CSV table with a header row.
 *
 * @example
 *   parseInvocation('json', '{"dataframe_split": {"columns": ["hour"], "data": [[8]]}}', model, 'ignore')
 */
export function parseInvocation(media: 'json' | 'csv', text: string, model: ServedModel, extra: ExtraFields): Invocation {
  return media === 'csv' ? parseCsvInvocation(text, model, extra) : parseJsonInvocation(parseJsonBody(text), model, extra);
}

/** Parses the JSON form of an invocation once its body is parsed (the server parses it first, for sticky keys). */
export function parseJsonInvocation(body: unknown, model: ServedModel, extra: ExtraFields): Invocation {
  if (!isObject(body)) throw new InvalidInputError('body', `expected a JSON object with one of ${FORMATS.join(', ')}`);
  const present = FORMATS.filter((f) => body[f] !== undefined);
  if (present.length !== 1) {
    throw new InvalidInputError('body', `expected exactly one of ${FORMATS.join(', ')}; got ${present.length === 0 ? `fields ${Object.keys(body).join(', ') || 'none'}` : present.join(', ')}`);
  }
  const format = present[0] as (typeof FORMATS)[number];
  const value = body[format];
  let inputs: Record<string, HostTensor>;
  let answer: Invocation['answer'] = 'records';
  switch (format) {
    case 'dataframe_split': {
      if (!isObject(value)) throw new InvalidInputError(format, 'expected an object with "columns" and "data"');
      const { columns, data } = value;
      if (!Array.isArray(data)) throw new InvalidInputError(`${format}.data`, 'required: a list of rows');
      if (columns === undefined && !model.perFeatureInputs) {
        inputs = rowsToTensors(model, data, (i) => `${format}.data[${i}]`, extra);
        break;
      }
      if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) throw new InvalidInputError(`${format}.columns`, 'expected a list of column names');
      inputs = tableToTensors(model, columns, data, format, extra);
      break;
    }
    case 'dataframe_records':
      if (!Array.isArray(value)) throw new InvalidInputError(format, 'expected a list of records');
      inputs = rowsToTensors(model, value, (i) => `${format}[${i}]`, extra);
      break;
    default:
      if (isObject(value)) {
        inputs = columnsToTensors(model, value, format, extra);
        answer = 'columns';
      } else if (Array.isArray(value)) {
        inputs = rowsToTensors(model, value, (i) => `${format}[${i}]`, extra);
        answer = isObject(value[0]) ? 'records' : 'columns';
      } else {
        throw new InvalidInputError(format, 'expected a list of rows or an object of columns');
      }
  }
  return { inputs, rows: Object.values(inputs)[0]?.shape[0] ?? 0, answer, body };
}

function parseCsvInvocation(text: string, model: ServedModel, extra: ExtraFields): Invocation {
  const [header, ...lines] = parseCsv(text);
  if (!header || header.length === 0) throw new InvalidInputError('csv', 'is empty; send a header row and at least one data row');
  if (lines.length === 0) throw new InvalidInputError('csv', 'has a header but no data rows');
  // CSV has no types: a cell feeding a numeric input is read as a number, an empty one as missing.
  const numericInput = (column: number): boolean => {
    const spec = model.perFeatureInputs ? model.signature.inputs.find((s) => s.name === header[column]) : model.signature.inputs[0];
    return spec !== undefined && spec.type !== 'string';
  };
  const numeric = header.map((_, c) => numericInput(c));
  const data = lines.map((cells) =>
    cells.map((cell, c) => {
      if (!numeric[c]) return cell;
      if (cell.trim() === '') return null;
      const n = Number(cell);
      return Number.isNaN(n) ? cell : n;
    }),
  );
  const inputs = tableToTensors(model, header, data, 'csv', extra);
  return { inputs, rows: data.length, answer: 'records', body: { dataframe_split: { columns: header, data } } };
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += ch;
    }
  }
  if (quoted) throw new InvalidInputError('csv', 'ends inside a quoted field');
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Outputs by name, each a list with one entry per row: MLflow's answer to tensor-shaped input. */
export function outputColumns(outputs: Record<string, HostTensor>, rows: number): Record<string, JsonScalar[] | JsonScalar[][]> {
  const out: Record<string, JsonScalar[] | JsonScalar[][]> = {};
  for (const name in outputs) {
    const tensor = outputs[name] as HostTensor;
    const values = tensorDataToJson(tensor.type, tensor.data);
    const width = rows === 0 ? 0 : values.length / rows;
    out[name] = width === 1 ? values : Array.from({ length: rows }, (_, i) => values.slice(i * width, (i + 1) * width));
  }
  return out;
}

/** MLflow's error codes for an HTTP status, so MLflow clients read our errors as theirs. */
export function mlflowErrorCode(status: number): string {
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 413 || status === 415 || status === 405 || status === 400) return 'BAD_REQUEST';
  return 'INTERNAL_ERROR';
}
