import { InvalidInputError } from '../core/errors.js';
import type { TensorData, TensorType } from './served-model.js';

export type JsonScalar = number | string | boolean | null;

/**
 * Builds typed tensor data from JSON values, checking each one against the element type; a bad
 * value is an InvalidInputError naming `fieldOf(index)`. When `allowMissing` (the model imputes
 * this input, as Flywheel's trained models do), a missing float may be sent as null (→ NaN) and a
 * missing string as null (→ ''); otherwise null is refused.
 */
export function tensorDataFromJson(type: TensorType, values: readonly unknown[], fieldOf: (index: number) => string, allowMissing = true): TensorData {
  const n = values.length;
  switch (type) {
    case 'float32':
    case 'float64': {
      const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number') out[i] = v;
        else if (v === null && allowMissing) out[i] = Number.NaN;
        else badValue(type, values[i], fieldOf(i), allowMissing, allowMissing ? 'a number or null' : 'a number');
      }
      return out;
    }
    case 'string': {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'string') out[i] = v;
        else if (v === null && allowMissing) out[i] = '';
        else badValue(type, values[i], fieldOf(i), allowMissing, allowMissing ? 'a string or null' : 'a string');
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else badValue(type, values[i], fieldOf(i), allowMissing, 'true or false');
      }
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out = type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      const min = type === 'int64' ? Number.MIN_SAFE_INTEGER : 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) out[i] = BigInt(v);
        else badValue(type, values[i], fieldOf(i), allowMissing, type === 'int64' ? 'an integer' : 'a non-negative integer');
      }
      return out;
    }
    default: {
      const [Kind, min, max] = INTEGER_ARRAYS[type];
      const out = new Kind(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) out[i] = v;
        else badValue(type, values[i], fieldOf(i), allowMissing, `an integer from ${min} to ${max}`);
      }
      return out;
    }
  }
}

/**
 * The error for a value of the wrong type (a function of its own rather than a closure in
 * tensorDataFromJson, which runs for every input of every request).
 */
function badValue(type: TensorType, value: unknown, field: string, allowMissing: boolean, expected: string): never {
  if (value === null && !allowMissing && (type === 'float32' || type === 'float64' || type === 'string')) {
    throw new InvalidInputError(field, 'is null, but this model input takes no missing values', 'send a value; only models that impute an input (such as Flywheel\'s trained ones) accept null');
  }
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new InvalidInputError(field, `expected ${expected}, got ${got}${typeof value === 'number' || typeof value === 'string' ? ` ${JSON.stringify(value)}` : ''}`);
}

type SmallIntegerArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
const INTEGER_ARRAYS: Record<'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32', [new (n: number) => SmallIntegerArray, number, number]> = {
  int8: [Int8Array, -128, 127],
  uint8: [Uint8Array, 0, 255],
  int16: [Int16Array, -32768, 32767],
  uint16: [Uint16Array, 0, 65535],
  int32: [Int32Array, -2147483648, 2147483647],
  uint32: [Uint32Array, 0, 4294967295],
};

/** Tensor data as JSON values: int64 as numbers, bool as booleans, NaN and ±Infinity as null. */
export function tensorDataToJson(type: TensorType, data: TensorData): JsonScalar[] {
  const out = new Array<JsonScalar>(data.length);
  if (type === 'string') return [...(data as string[])];
  if (type === 'bool') {
    for (let i = 0; i < data.length; i++) out[i] = (data as Uint8Array)[i] !== 0;
    return out;
  }
  if (type === 'int64' || type === 'uint64') {
    for (let i = 0; i < data.length; i++) out[i] = Number((data as BigInt64Array)[i]);
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = (data as Float64Array)[i] as number;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}
