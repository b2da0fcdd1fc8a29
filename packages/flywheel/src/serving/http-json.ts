import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError } from '../core/errors.js';
import { PayloadTooLargeError } from './http-errors.js';

/**
 * Reads and parses a JSON request body, refusing more than `limitBytes`: by the declared
 * Content-Length before reading anything, else as soon as the bytes read pass the limit.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') throw new InvalidInputError('body', 'is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError('body', `is not valid JSON: ${(error as Error).message}`);
  }
}

/** Sends a JSON response. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
