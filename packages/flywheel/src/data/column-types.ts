/**
 * The logical type of a column, the unit schemas speak in: DuckDB's INTEGER and BIGINT are both
 * `int`, so widening a column on re-ingest is not a type change.
 */
export const VALUE_TYPES = ['int', 'float', 'string', 'bool', 'timestamp', 'other'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** Which family of statistics a column gets. */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'timestamp' | 'other';

const INTEGER_TYPES = new Set([
  'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT',
]);
const TIMESTAMP_TYPES = new Set(['DATE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE']);

/** `BIGINT` → `int`, `DECIMAL(10,2)` → `float`, `ENUM('a', 'b')` → `string`, `INTEGER[]` → `other`. */
export function valueTypeOf(duckdbType: string): ValueType {
  const type = duckdbType.trim().toUpperCase();
  if (INTEGER_TYPES.has(type)) return 'int';
  if (type === 'FLOAT' || type === 'DOUBLE' || /^DECIMAL\(\d+,\s*\d+\)$/.test(type)) return 'float';
  if (type === 'VARCHAR' || type === 'UUID' || type.startsWith('ENUM(')) return 'string';
  if (type === 'BOOLEAN') return 'bool';
  if (TIMESTAMP_TYPES.has(type)) return 'timestamp';
  return 'other';
}

const KINDS: Record<ValueType, ColumnKind> = {
  int: 'numeric',
  float: 'numeric',
  string: 'categorical',
  bool: 'boolean',
  timestamp: 'timestamp',
  other: 'other',
};

export function columnKindOf(valueType: ValueType): ColumnKind {
  return KINDS[valueType];
}
