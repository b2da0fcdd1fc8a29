import { FlywheelError, NotFoundError } from '../../core/errors.js';
import { ArtifactStoreAccessError, ArtifactStoreError, ArtifactStoreUnreachableError } from '../artifact-errors.js';

/** What the SDK puts on the errors it throws, as far as this module reads it. */
interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const ACCESS_ERRORS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Where an S3 store lives, for messages: `s3://bucket/prefix at <endpoint>`. */
export interface S3Location {
  bucket: string;
  prefix: string;
  endpoint: string | undefined;
  region: string;
}

export function describeLocation(location: S3Location): string {
  const place = location.endpoint ?? `AWS S3 (${location.region})`;
  return `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`} at ${place}`;
}

export function statusOf(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/**
 * A 404 about the object asked for. HEAD responses have no body to tell a missing key from a
 * missing bucket, which is why opening a store checks the bucket first.
 */
export function isMissing(error: unknown): boolean {
  const name = (error as SdkErrorShape | undefined)?.name;
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404);
}

export function missingBucket(location: S3Location): NotFoundError {
  return new NotFoundError('S3 bucket', location.bucket, `create it, or fix artifacts.bucket / artifacts.endpoint (now ${location.endpoint ?? `AWS, region ${location.region}`})`);
}

/** Worth another attempt: the server was busy or the connection broke, not a refusal. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status >= 500 || status === 429;
  const { name, code } = (error ?? {}) as SdkErrorShape;
  return NETWORK_CODES.has(code ?? '') || name === 'TimeoutError' || name === 'RequestTimeout';
}

/**
 * Turns what the SDK threw during `action` into a FlywheelError that names the bucket and the
 * endpoint and says what to check. FlywheelErrors pass through unchanged.
 */
export function s3Failure(error: unknown, action: string, location: S3Location): FlywheelError {
  if (error instanceof FlywheelError) return error;
  const where = describeLocation(location);
  const { name = 'Error', code, message = String(error) } = (error ?? {}) as SdkErrorShape;
  const status = statusOf(error);
  const detail = `${action} failed with ${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${message}`;
  if (name === 'NoSuchBucket') return missingBucket(location);
  if (ACCESS_ERRORS.has(name) || status === 403) {
    return new ArtifactStoreAccessError(where, detail, {
      hint: 'check the credentials (artifacts.accessKeyId / secretAccessKey, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE) and that they may list, read and write this bucket',
      cause: error,
    });
  }
  if (status === undefined && (NETWORK_CODES.has(code ?? '') || name === 'TimeoutError' || name === 'AbortError')) {
    return new ArtifactStoreUnreachableError(where, detail, {
      hint: `check that the S3 server is running and that artifacts.endpoint${location.endpoint === undefined ? '' : ` (${location.endpoint})`} is right`,
      cause: error,
    });
  }
  return new ArtifactStoreError(where, detail, { hint: "check the S3 server's logs and the bucket's configuration", cause: error });
}
