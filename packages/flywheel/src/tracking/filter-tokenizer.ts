import { FilterSyntaxError } from './errors.js';

/**
 * Tokens of MLflow's search language. `position` counts characters from 1; `text` is the source
 * slice, so errors can quote exactly what the user wrote.
 */
export type FilterToken =
  /** `metrics.auc`, `tags.\`val loss\``, `status`: dot-separated parts, quotes removed. */
  | { kind: 'identifier'; parts: string[]; position: number; text: string }
  | { kind: 'string'; value: string; position: number; text: string }
  | { kind: 'number'; value: number; position: number; text: string }
  | { kind: 'comparator'; value: '=' | '!=' | '<' | '<=' | '>' | '>='; position: number; text: string }
  | { kind: 'keyword'; value: Keyword; position: number; text: string }
  | { kind: 'punctuation'; value: '(' | ')' | ','; position: number; text: string }
  | { kind: 'end'; position: number; text: '' };

const KEYWORDS = ['AND', 'OR', 'LIKE', 'ILIKE', 'IN', 'NOT', 'ASC', 'DESC'] as const;
export type Keyword = (typeof KEYWORDS)[number];

const WORD_START = /[\p{L}_]/u;
const WORD_PART = /[\p{L}\p{N}_]/u;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;

/**
 * Splits a filter (or one order-by clause) into tokens. Strings take single or double quotes, with
 * a doubled or backslash-escaped quote inside; keys with spaces, dots or dashes take backticks or
 * double quotes after the entity: `metrics.\`val loss\``, `params."learning-rate"`.
 *
 * @example
 *   tokenize("metrics.auc > 0.8", 'filter'); // identifier, comparator, number, end
 */
export function tokenize(source: string, field: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let i = 0;
  const fail = (problem: string, at: number, token: string): never => {
    throw new FilterSyntaxError(problem, { source, position: at + 1, token }, field);
  };

  /** Reads a quoted run starting at `start` (the quote); returns its unescaped text and end. */
  const quoted = (start: number): { value: string; end: number } => {
    const quote = source[start] as string;
    let value = '';
    let j = start + 1;
    while (j < source.length) {
      const c = source[j] as string;
      if (c === '\\' && quote !== '`' && j + 1 < source.length) {
        value += source[j + 1];
        j += 2;
      } else if (c === quote && source[j + 1] === quote) {
        value += quote;
        j += 2;
      } else if (c === quote) {
        return { value, end: j + 1 };
      } else {
        value += c;
        j++;
      }
    }
    return fail(`the ${quote === '`' ? 'backtick' : 'quote'} opened here is never closed`, start, source.slice(start, start + 20));
  };

  /** Reads `part(.part)*` where a part is a bare word or a quoted run. */
  const identifier = (start: number, first: string, afterFirst: number): FilterToken => {
    const parts = [first];
    let j = afterFirst;
    while (source[j] === '.') {
      const next = source[j + 1];
      if (next === '`' || next === '"') {
        const part = quoted(j + 1);
        parts.push(part.value);
        j = part.end;
      } else if (next !== undefined && WORD_PART.test(next)) {
        let k = j + 1;
        while (k < source.length && WORD_PART.test(source[k] as string)) k++;
        parts.push(source.slice(j + 1, k));
        j = k;
      } else {
        fail('a key must follow "." (quote keys with special characters in backticks)', j + 1, next ?? '');
      }
    }
    return { kind: 'identifier', parts, position: start + 1, text: source.slice(start, j) };
  };

  while (i < source.length) {
    const c = source[i] as string;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      const { value, end } = quoted(i);
      tokens.push({ kind: 'string', value, position: start + 1, text: source.slice(start, end) });
      i = end;
    } else if (c === '"') {
      const { value, end } = quoted(i);
      if (source[end] === '.') {
        const token = identifier(start, value, end);
        tokens.push(token);
        i = start + token.text.length;
      } else {
        tokens.push({ kind: 'string', value, position: start + 1, text: source.slice(start, end) });
        i = end;
      }
    } else if (c === '`') {
      const { value, end } = quoted(i);
      const token = identifier(start, value, end);
      tokens.push(token);
      i = start + token.text.length;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < source.length && WORD_PART.test(source[j] as string)) j++;
      const word = source.slice(i, j);
      const keyword = KEYWORDS.find((k) => k === word.toUpperCase());
      if (keyword !== undefined && source[j] !== '.') {
        tokens.push({ kind: 'keyword', value: keyword, position: start + 1, text: word });
        i = j;
      } else {
        const token = identifier(start, word, j);
        tokens.push(token);
        i = start + token.text.length;
      }
    } else if (/[\d.+-]/.test(c) && NUMBER.test(source.slice(i))) {
      const text = (NUMBER.exec(source.slice(i)) as RegExpExecArray)[0];
      const after = source[i + text.length];
      if (after !== undefined && WORD_PART.test(after)) fail('a number must not run into letters', i, source.slice(i, i + text.length + 1));
      tokens.push({ kind: 'number', value: Number(text), position: start + 1, text });
      i += text.length;
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = source.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'comparator', value: two, position: start + 1, text: two });
        i += 2;
      } else if (two === '==' || two === '<>') {
        fail(`"${two}" is not a comparator; use ${two === '==' ? '=' : '!='}`, i, two);
      } else if (c === '!') {
        fail('"!" must be followed by "=": use !=', i, c);
      } else {
        tokens.push({ kind: 'comparator', value: c as '=' | '<' | '>', position: start + 1, text: c });
        i++;
      }
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punctuation', value: c, position: start + 1, text: c });
      i++;
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`, i, c);
    }
  }
  tokens.push({ kind: 'end', position: source.length + 1, text: '' });
  return tokens;
}
