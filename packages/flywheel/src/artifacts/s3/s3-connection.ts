import { InvalidInputError } from '../../core/errors.js';

/** How to reach an S3-compatible service; every field is optional. */
export interface S3Connection {
  /** Any S3-compatible endpoint; AWS when absent. */
  endpoint?: string;
  /** `us-east-1` by default. */
  region?: string;
  /** Path-style addressing; true by default when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Without both keys the AWS SDK's default credential chain applies (AWS_* env, profiles, roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface CompiledS3Connection {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/**
 * The connection with its defaults; InvalidInputError at `<prefix>secretAccessKey` when only one of
 * the two keys is given.
 *
 * @example
 *   compileS3Connection({ endpoint: 'http://127.0.0.1:9000' }, 'artifacts.') // { region: 'us-east-1', forcePathStyle: true, … }
 */
export function compileS3Connection(options: S3Connection, fieldPrefix = ''): CompiledS3Connection {
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    throw new InvalidInputError(`${fieldPrefix}secretAccessKey`, 'give both accessKeyId and secretAccessKey, or neither');
  }
  return {
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials:
      options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? Object.freeze({ accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey })
        : undefined,
  };
}

/** What the SDK's S3Client takes from a connection. */
export function s3ClientConfig(connection: CompiledS3Connection): { region: string; endpoint: string | undefined; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } | undefined } {
  return {
    region: connection.region,
    endpoint: connection.endpoint,
    forcePathStyle: connection.forcePathStyle,
    // A copy: the SDK annotates the credentials object it is given, and ours is frozen.
    credentials: connection.credentials && { ...connection.credentials },
  };
}
