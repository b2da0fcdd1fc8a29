import { InvalidInputError } from '../core/errors.js';

const DIGEST = /^[0-9a-f]{64}$/;
const BLOB_TAIL = /sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/** True for a sha256 digest as the stores spell it: 64 lowercase hex characters. */
export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/**
 * Rejects anything but a digest. Digests become file names and object keys, so this is what keeps
 * `../` and friends out of the store.
 */
export function assertDigest(digest: string, field = 'digest'): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new InvalidInputError(field, `${JSON.stringify(digest)} is not a sha256 digest`, 'a digest is 64 lowercase hex characters');
  }
  return digest;
}

/** `sha256/ab/abcdef…`: where a blob sits under a store's root; sharded so no folder grows huge. */
export function blobKey(digest: string): string {
  return `sha256/${digest.slice(0, 2)}/${digest}`;
}

/**
 * The digest in `uri` when `uri` is exactly what `uriOf` hands out for it.
 *
 * @example
 *   digestFromUri(uri, (digest) => `s3://bucket/${blobKey(digest)}`)
 */
export function digestFromUri(uri: string, uriOf: (digest: string) => string, example: string): string {
  const match = BLOB_TAIL.exec(uri);
  const digest = match?.[2];
  if (digest === undefined || match?.[1] !== digest.slice(0, 2) || uriOf(digest) !== uri) {
    throw new InvalidInputError('uri', `${JSON.stringify(uri)} is not a blob of this artifact store`, `its blobs look like ${example}`);
  }
  return digest;
}
