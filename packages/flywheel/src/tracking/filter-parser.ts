import { FilterSyntaxError } from './errors.js';
import { tokenize } from './filter-tokenizer.js';
import type { FilterToken } from './filter-tokenizer.js';

/**
 * MLflow's search language, parsed into a small AST that a store compiles to its own queries.
 *
 *   filter     := comparison (AND comparison)*
 *   comparison := key comparator value
 *   key        := [entity "."] name          entity: metrics | params | tags | attributes (and MLflow's aliases)
 *   comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
 *   value      := number | 'string' | "string" | "(" string ("," string)* ")"
 *   order_by   := key [ASC | DESC]
 *
 * A key without an entity is an attribute (`status = 'FINISHED'`). Which entities, attributes and
 * comparators are allowed, and what type each value must have, comes from a SearchSchema.
 */

export type FilterEntity = 'metric' | 'param' | 'tag' | 'attribute';
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Comparison {
  entity: FilterEntity;
  /** For attributes, the canonical column name (`created` → `start_time`). */
  key: string;
  comparator: Comparator;
  /** A number for metrics and numeric attributes, a list for IN and NOT IN, a string otherwise. */
  value: number | string | string[];
}

export interface OrderBy {
  entity: FilterEntity;
  key: string;
  ascending: boolean;
}

export interface SearchSchema {
  entities: readonly FilterEntity[];
  /** Attribute names a filter may use, aliases included, with their canonical name and type. */
  attributes: Readonly<Record<string, { name: string; kind: 'string' | 'number' }>>;
  /** Attribute names order_by may use, likewise. */
  orderAttributes: Readonly<Record<string, { name: string; kind: 'string' | 'number' }>>;
}

const runAttributes = {
  run_id: { name: 'run_id', kind: 'string' },
  run_name: { name: 'run_name', kind: 'string' },
  'run name': { name: 'run_name', kind: 'string' },
  'Run name': { name: 'run_name', kind: 'string' },
  'Run Name': { name: 'run_name', kind: 'string' },
  status: { name: 'status', kind: 'string' },
  user_id: { name: 'user_id', kind: 'string' },
  artifact_uri: { name: 'artifact_uri', kind: 'string' },
  start_time: { name: 'start_time', kind: 'number' },
  created: { name: 'start_time', kind: 'number' },
  Created: { name: 'start_time', kind: 'number' },
  end_time: { name: 'end_time', kind: 'number' },
} as const;

/** What searchRuns understands: MLflow's run search. */
export const RUN_SEARCH: SearchSchema = {
  entities: ['metric', 'param', 'tag', 'attribute'],
  attributes: runAttributes,
  orderAttributes: runAttributes,
};

const experimentAttributes = {
  name: { name: 'name', kind: 'string' },
  creation_time: { name: 'creation_time', kind: 'number' },
  last_update_time: { name: 'last_update_time', kind: 'number' },
} as const;

/** What searchExperiments understands: MLflow's experiment search. */
export const EXPERIMENT_SEARCH: SearchSchema = {
  entities: ['tag', 'attribute'],
  attributes: experimentAttributes,
  orderAttributes: { ...experimentAttributes, experiment_id: { name: 'experiment_id', kind: 'number' } },
};

const ENTITY_ALIASES: Readonly<Record<string, FilterEntity>> = {
  metric: 'metric', metrics: 'metric',
  parameter: 'param', parameters: 'param', param: 'param', params: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
};
const ENTITY_NAMES: Record<FilterEntity, string> = { metric: 'metric', param: 'parameter', tag: 'tag', attribute: 'attribute' };

const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

/**
 * Parses a filter; an empty or blank one matches everything. FilterSyntaxError names the
 * position and the token of the first problem.
 *
 * @example
 *   parseFilter("metrics.auc > 0.8 and params.depth = '6'", RUN_SEARCH);
 *   // [{ entity: 'metric', key: 'auc', comparator: '>', value: 0.8 }, { entity: 'param', key: 'depth', … }]
 */
export function parseFilter(source: string | undefined, schema: SearchSchema): Comparison[] {
  if (source === undefined || source.trim() === '') return [];
  const reader = new Reader(source, tokenize(source, 'filter'), 'filter');
  const comparisons: Comparison[] = [];
  while (true) {
    comparisons.push(parseComparison(reader, schema));
    const next = reader.take();
    if (next.kind === 'end') return comparisons;
    if (next.kind === 'keyword' && next.value === 'AND') continue;
    if (next.kind === 'keyword' && next.value === 'OR') {
      reader.fail(next, 'OR is not supported: a filter is comparisons joined by AND, as in MLflow');
    }
    reader.fail(next, 'expected AND or the end of the filter after a comparison');
  }
}

/**
 * Parses order_by clauses (`metrics.auc DESC`, `attributes.start_time`); a key may appear once.
 *
 * @example
 *   parseOrderBy(['metrics.auc DESC'], RUN_SEARCH); // [{ entity: 'metric', key: 'auc', ascending: false }]
 */
export function parseOrderBy(clauses: readonly string[] | undefined, schema: SearchSchema): OrderBy[] {
  const parsed: OrderBy[] = [];
  for (const clause of clauses ?? []) {
    const reader = new Reader(clause, tokenize(clause, 'order_by'), 'order_by');
    const first = reader.take();
    if (first.kind !== 'identifier') reader.fail(first, 'expected a key such as metrics.auc or attributes.start_time');
    const { entity, key } = resolveKey(reader, first as Extract<FilterToken, { kind: 'identifier' }>, schema, schema.orderAttributes);
    let ascending = true;
    const direction = reader.take();
    if (direction.kind === 'keyword' && (direction.value === 'ASC' || direction.value === 'DESC')) {
      ascending = direction.value === 'ASC';
      const end = reader.take();
      if (end.kind !== 'end') reader.fail(end, 'expected nothing after ASC or DESC');
    } else if (direction.kind !== 'end') {
      reader.fail(direction, 'expected ASC, DESC or the end of the clause after the key');
    }
    if (parsed.some((p) => p.entity === entity && p.key === key)) {
      reader.fail(first, `\`order_by\` contains duplicate fields: the ${ENTITY_NAMES[entity]} ${JSON.stringify(key)} is ordered by twice`);
    }
    parsed.push({ entity, key, ascending });
  }
  return parsed;
}

class Reader {
  #index = 0;
  constructor(readonly source: string, readonly tokens: FilterToken[], readonly field: string) {}

  take(): FilterToken {
    const token = this.tokens[this.#index] as FilterToken;
    if (token.kind !== 'end') this.#index++;
    return token;
  }

  fail(token: FilterToken, problem: string): never {
    throw new FilterSyntaxError(problem, { source: this.source, position: token.position, token: token.text }, this.field);
  }
}

function parseComparison(reader: Reader, schema: SearchSchema): Comparison {
  const keyToken = reader.take();
  if (keyToken.kind !== 'identifier') {
    const problem = keyToken.kind === 'punctuation' && keyToken.value === '('
      ? 'parentheses only enclose IN lists; a filter is comparisons joined by AND'
      : 'expected a key such as metrics.auc, params.depth, tags.team or attributes.status';
    reader.fail(keyToken, problem);
  }
  const { entity, key, kind } = resolveKey(reader, keyToken as Extract<FilterToken, { kind: 'identifier' }>, schema, schema.attributes);
  const operatorToken = reader.take();
  const comparator = readComparator(reader, operatorToken);
  const allowed = kind === 'number' ? NUMERIC_COMPARATORS : STRING_COMPARATORS;
  const subject = entity === 'attribute' ? `${kind === 'number' ? 'numeric' : 'string'} attribute ${key}` : ENTITY_NAMES[entity];
  if (!allowed.includes(comparator)) {
    reader.fail(operatorToken, `Invalid comparator '${comparator}' for ${subject}: use one of ${allowed.join(', ')}`);
  }

  if (comparator === 'IN' || comparator === 'NOT IN') return { entity, key, comparator, value: readList(reader) };
  const valueToken = reader.take();
  if (kind === 'number') {
    if (valueToken.kind !== 'number') {
      reader.fail(valueToken, `Expected numeric value type for ${subject}. Found ${valueToken.text === '' ? 'nothing' : valueToken.text}`);
    }
    return { entity, key, comparator, value: (valueToken as Extract<FilterToken, { kind: 'number' }>).value };
  }
  if (valueToken.kind !== 'string') {
    reader.fail(valueToken, `Expected a quoted string value for ${subject} (e.g. 'my-value'). Got value ${valueToken.text === '' ? 'nothing' : valueToken.text}`);
  }
  return { entity, key, comparator, value: (valueToken as Extract<FilterToken, { kind: 'string' }>).value };
}

function resolveKey(
  reader: Reader,
  token: Extract<FilterToken, { kind: 'identifier' }>,
  schema: SearchSchema,
  attributes: SearchSchema['attributes'],
): { entity: FilterEntity; key: string; kind: 'string' | 'number' } {
  const [head, ...rest] = token.parts as [string, ...string[]];
  const entity = rest.length === 0 ? 'attribute' : ENTITY_ALIASES[head];
  if (entity === undefined || !schema.entities.includes(entity)) {
    const valid = schema.entities.map((e) => `'${ENTITY_NAMES[e]}'`).join(', ');
    const unsupported = head === 'dataset' || head === 'datasets' ? ' (dataset filters are not supported)' : '';
    reader.fail(token, `Invalid entity type '${head}'${unsupported}. Valid values are [${valid}]`);
  }
  if (entity === 'attribute') {
    const name = rest.length === 0 ? head : rest.join('.');
    const attribute = attributes[name];
    if (attribute === undefined) {
      const valid = [...new Set(Object.keys(attributes))].sort().map((a) => `'${a}'`).join(', ');
      reader.fail(token, `Invalid attribute key '${name}' specified. Valid keys are [${valid}]`);
    }
    return { entity, key: attribute.name, kind: attribute.kind };
  }
  const key = rest.join('.');
  if (key === '') reader.fail(token, `a ${ENTITY_NAMES[entity]} key must not be empty`);
  return { entity, key, kind: entity === 'metric' ? 'number' : 'string' };
}

function readComparator(reader: Reader, token: FilterToken): Comparator {
  if (token.kind === 'comparator') return token.value;
  if (token.kind === 'keyword') {
    if (token.value === 'LIKE' || token.value === 'ILIKE' || token.value === 'IN') return token.value;
    if (token.value === 'NOT') {
      const next = reader.take();
      if (next.kind === 'keyword' && next.value === 'IN') return 'NOT IN';
      reader.fail(next, 'expected IN after NOT');
    }
  }
  return reader.fail(token, 'expected a comparator: =, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN');
}

function readList(reader: Reader): string[] {
  const open = reader.take();
  if (open.kind !== 'punctuation' || open.value !== '(') reader.fail(open, "expected a parenthesised list of quoted strings, e.g. ('a', 'b')");
  const values: string[] = [];
  while (true) {
    const item = reader.take();
    if (item.kind !== 'string') reader.fail(item, 'expected a quoted string in the IN list');
    values.push((item as Extract<FilterToken, { kind: 'string' }>).value);
    const separator = reader.take();
    if (separator.kind === 'punctuation' && separator.value === ')') return values;
    if (separator.kind !== 'punctuation' || separator.value !== ',') reader.fail(separator, 'expected "," or ")" in the IN list');
  }
}
