import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { z } from 'zod';
import { IncompatibleStateError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { fieldPath } from '../core/field-path.js';

/**
 * Writes a JSON document pretty-printed (two spaces, trailing newline) so that people can read,
 * diff and edit it. Writing a sibling file first and renaming it means a reader never sees half a
 * document.
 */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Reads a versioned Flywheel JSON document (`"format": "flywheel.schema/v1"` …) and validates it.
 * A newer version of the same format is an IncompatibleStateError; any other problem is an
 * InvalidInputError naming the file and the path of the bad field.
 */
export async function readFormatFile<T>(path: string, format: string | readonly string[], parser: z.ZodType<T, unknown>): Promise<T> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError('file', path);
    throw error;
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(path, `not valid JSON: ${(error as Error).message}`);
  }
  return parseFormat(value, format, parser, path);
}

/**
 * As readFormatFile, for a document already in memory; `origin` names it in errors. `format` is
 * the current tag, or the current one followed by older ones the parser still reads.
 */
export function parseFormat<T>(value: unknown, format: string | readonly string[], parser: z.ZodType<T, unknown>, origin: string): T {
  const found = typeof value === 'object' && value !== null ? (value as { format?: unknown }).format : undefined;
  const accepted = typeof format === 'string' ? [format] : format;
  const current = accepted[0]!;
  if (typeof found !== 'string' || !accepted.includes(found)) {
    const family = current.slice(0, current.lastIndexOf('/') + 1);
    if (typeof found === 'string' && found.startsWith(family)) {
      throw new IncompatibleStateError(
        `${origin} is ${found}, but this Flywheel reads ${accepted.join(' and ')}`,
        'it was probably written by a newer Flywheel; upgrade, or regenerate the file',
      );
    }
    throw new InvalidInputError(origin, `expected a ${current} document, found format ${JSON.stringify(found ?? null)}`);
  }
  const result = parser.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => `${fieldPath(issue.path, '(document)')}: ${issue.message}`);
    throw new InvalidInputError(origin, problems.join('; '));
  }
  return result.data;
}
