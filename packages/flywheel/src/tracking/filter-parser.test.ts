import { describe, expect, it } from 'vitest';
import { FilterSyntaxError } from './errors.js';
import { EXPERIMENT_SEARCH, RUN_SEARCH, parseFilter, parseOrderBy } from './filter-parser.js';
import { tokenize } from './filter-tokenizer.js';

describe('filter tokenizer', () => {
  it('reads identifiers with quoted parts, strings with escapes, numbers and operators, with 1-based positions', () => {
    const tokens = tokenize("metrics.`val loss` >= -1.5e-3 and params.\"a-b\" IN ('it''s', \"q\\\"d\")", 'filter');
    expect(tokens.map((t) => [t.kind, 'value' in t ? t.value : 'parts' in t ? t.parts : undefined, t.position])).toEqual([
      ['identifier', ['metrics', 'val loss'], 1],
      ['comparator', '>=', 20],
      ['number', -0.0015, 23],
      ['keyword', 'AND', 31],
      ['identifier', ['params', 'a-b'], 35],
      ['keyword', 'IN', 48],
      ['punctuation', '(', 51],
      ['string', "it's", 52],
      ['punctuation', ',', 59],
      ['string', 'q"d', 61],
      ['punctuation', ')', 67],
      ['end', undefined, 68],
    ]);
  });

  it('treats a keyword with a dot as an identifier', () => {
    expect(tokenize('params.in = tags.and', 'filter').map((t) => t.kind)).toEqual(['identifier', 'comparator', 'identifier', 'end']);
  });
});

describe('filter parser', () => {
  it('parses an AND-ed list of comparisons into entities, canonical keys and typed values', () => {
    expect(parseFilter(
      "metrics.auc > 0.8 and params.depth = '6' and tags.team != 'x' and attributes.status = 'FINISHED' and created >= 10 and `Run Name` LIKE 'a%'",
      RUN_SEARCH,
    )).toEqual([
      { entity: 'metric', key: 'auc', comparator: '>', value: 0.8 },
      { entity: 'param', key: 'depth', comparator: '=', value: '6' },
      { entity: 'tag', key: 'team', comparator: '!=', value: 'x' },
      { entity: 'attribute', key: 'status', comparator: '=', value: 'FINISHED' },
      { entity: 'attribute', key: 'start_time', comparator: '>=', value: 10 },
      { entity: 'attribute', key: 'run_name', comparator: 'LIKE', value: 'a%' },
    ]);
  });

  it('accepts MLflow’s entity aliases, dotted keys, lower-case keywords and lists', () => {
    expect(parseFilter("parameter.x ilike 'A%' AND tag.mlflow.parentRunId not in ('a', 'b') and attr.run_id in ('c')", RUN_SEARCH)).toEqual([
      { entity: 'param', key: 'x', comparator: 'ILIKE', value: 'A%' },
      { entity: 'tag', key: 'mlflow.parentRunId', comparator: 'NOT IN', value: ['a', 'b'] },
      { entity: 'attribute', key: 'run_id', comparator: 'IN', value: ['c'] },
    ]);
  });

  it('treats an empty or blank filter as no condition', () => {
    expect(parseFilter(undefined, RUN_SEARCH)).toEqual([]);
    expect(parseFilter('   ', RUN_SEARCH)).toEqual([]);
  });

  it('knows what experiment search allows', () => {
    expect(parseFilter("name = 'x' and tags.t LIKE 'y%' and last_update_time < 5", EXPERIMENT_SEARCH)).toHaveLength(3);
    expect(() => parseFilter("params.x = '1'", EXPERIMENT_SEARCH)).toThrow("Invalid entity type 'params'. Valid values are ['tag', 'attribute']");
    expect(() => parseFilter("status = 'x'", EXPERIMENT_SEARCH)).toThrow("Invalid attribute key 'status' specified");
    expect(parseOrderBy(['experiment_id DESC', 'name'], EXPERIMENT_SEARCH)).toEqual([
      { entity: 'attribute', key: 'experiment_id', ascending: false },
      { entity: 'attribute', key: 'name', ascending: true },
    ]);
  });

  it('reports the position and the token of the first problem', () => {
    let error: unknown;
    try {
      parseFilter("metrics.auc > 0.8 and params.depth >> '6'", RUN_SEARCH);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const syntax = error as FilterSyntaxError;
    expect(syntax.code).toBe('INVALID_PARAMETER_VALUE');
    expect(syntax.field).toBe('filter');
    expect(syntax.position).toBe(36);
    expect(syntax.token).toBe('>');
    expect(syntax.message).toBe(
      'Invalid filter "metrics.auc > 0.8 and params.depth >> \'6\'": Invalid comparator \'>\' for parameter: use one of =, !=, LIKE, ILIKE, IN, NOT IN (at position 36, found ">")',
    );
  });
});

describe('order_by parser', () => {
  it('parses keys with a direction, ascending by default', () => {
    expect(parseOrderBy(['metrics.`val loss` DESC', 'attributes.end_time', 'params.depth asc', 'Created'], RUN_SEARCH)).toEqual([
      { entity: 'metric', key: 'val loss', ascending: false },
      { entity: 'attribute', key: 'end_time', ascending: true },
      { entity: 'param', key: 'depth', ascending: true },
      { entity: 'attribute', key: 'start_time', ascending: true },
    ]);
  });

  it('refuses a key ordered twice, even through an alias', () => {
    expect(() => parseOrderBy(['start_time', 'created DESC'], RUN_SEARCH)).toThrow('`order_by` contains duplicate fields');
    expect(() => parseOrderBy(['metrics.a DESC DESC'], RUN_SEARCH)).toThrow('expected nothing after ASC or DESC');
  });
});
