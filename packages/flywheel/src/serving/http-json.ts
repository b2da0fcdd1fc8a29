import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError } from '../core/errors.js';
import { PayloadTooLargeError } from './http-errors.js';

/**
 * Reads a request body as UTF-8 text, refusing more than `limitBytes`: by the declared
 * Content-Length before reading anything, else as soon as the bytes received pass the limit, so
 * an oversized body is never held in memory (the rest is read and dropped). Events rather than async iteration: this runs once
 * per request on the hot path.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) return Promise.reject(new PayloadTooLargeError(limitBytes));
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        // Keep reading and discarding the rest, so the client gets the 413 on a healthy
        // connection instead of a reset; nothing more is held, and the request timeout bounds it.
        request.off('data', onData);
        request.resume();
        first = undefined;
        chunks = undefined;
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => {
      if (size > limitBytes) return;
      if (chunks) resolve(Buffer.concat(chunks, size).toString('utf8'));
      else resolve(first ? first.toString('utf8') : '');
    });
    request.once('error', reject);
  });
}

/** Parses a JSON body; InvalidInputError naming `body` when it is empty or not JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0 || text.trim() === '') throw new InvalidInputError('body', 'is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    const hint = /\bNaN\b|Infinity/.test(text) ? 'JSON has no NaN or Infinity: send null for a missing value' : undefined;
    throw new InvalidInputError('body', `is not valid JSON: ${(error as Error).message}`, hint);
  }
}

/** Reads and parses a JSON request body (see readBody for the limit). */
export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  return parseJsonBody(await readBody(request, limitBytes));
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends a JSON response. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendText(response, status, JSON.stringify(body), JSON_TYPE, headers);
}

/** Sends a text response with its length. */
export function sendText(response: ServerResponse, status: number, text: string, contentType: string, headers?: Record<string, string>): void {
  // One writeHead with every header: cheaper than a setHeader each, on every answer.
  const head: Record<string, string | number> = { 'content-type': contentType, 'content-length': Buffer.byteLength(text) };
  if (headers) Object.assign(head, headers);
  response.writeHead(status, head);
  response.end(text);
}
