import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { describeLocation, statusOf, type S3Location } from '../artifacts/s3/s3-errors.js';
import { bucketName } from '../artifacts/s3/s3-flavor.js';
import { InvalidInputError } from '../core/errors.js';
import { fileNameMatcher, WatchedPlaceMissingError, WatchedPlaceUnreadableError, type FileLister, type ListedFile } from './file-lister.js';
import { compileS3Connection, s3ClientConfig, type CompiledS3Connection, type S3Connection } from '../artifacts/s3/s3-connection.js';

/** S3 returns at most this many keys per listing request. */
const MAX_PAGE_SIZE = 1000;

/** What an `s3://` pattern names: the objects directly under `prefix` whose last part matches `glob`. */
export interface S3FilePattern {
  bucket: string;
  /** Empty, or ending with `/`. */
  prefix: string;
  glob: string;
}

/**
 * `s3://bucket/prefix/*.parquet` split into bucket, prefix and file-name glob; an issue explains
 * what is wrong with a pattern that cannot be watched.
 */
export const s3FilePattern = z.string().transform((url, ctx): S3FilePattern => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (!match) return fail(`expected s3://bucket/prefix/<file-name pattern>, got ${JSON.stringify(url)}`);
  const [, bucket = '', key = ''] = match;
  if (bucket === '') return fail(`${JSON.stringify(url)} names no bucket: write s3://bucket/prefix/*.parquet`);
  const named = bucketName.safeParse(bucket);
  if (!named.success) return fail(`bucket ${JSON.stringify(bucket)}: ${named.error.issues[0]!.message}`);
  const prefix = key.slice(0, key.lastIndexOf('/') + 1);
  const glob = key.slice(prefix.length);
  if (glob === '') return fail(`${JSON.stringify(url)} has no file-name pattern after the prefix: write e.g. s3://${bucket}/${prefix || 'incoming/'}*.parquet`);
  if (/[*?]/.test(prefix)) return fail(`* and ? match in the object name (after the last /) only, not in the prefix ${JSON.stringify(prefix)}`);
  return { bucket, prefix, glob };
});

/** True for the paths an S3 lister watches rather than a folder. */
export function isS3Url(path: string): boolean {
  return path.startsWith('s3://');
}

export interface S3FileListerOptions extends S3Connection {
  /** What to watch: `s3://bucket/prefix/*.parquet`. */
  url: string;
  /** Keys asked for per listing request, up to 1000 (the default). */
  pageSize?: number;
}

export interface CompiledS3FileListerOptions extends S3FilePattern, CompiledS3Connection {
  readonly pageSize: number;
}

export function compileS3FileListerOptions(options: S3FileListerOptions): CompiledS3FileListerOptions {
  const pattern = s3FilePattern.safeParse(options.url);
  if (!pattern.success) throw new InvalidInputError('url', pattern.error.issues[0]!.message);
  const connection = compileS3Connection(options);
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidInputError('pageSize', `${pageSize} is not an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Object.freeze({
    ...pattern.data,
    ...connection,
    pageSize,
  });
}

/**
 * The objects directly under an S3 prefix whose last part matches the glob (`*` and `?`, as for
 * a folder); keys in deeper "folders" (with another `/` after the prefix) are not listed. Each is
 * named `s3://bucket/key`, with its size, LastModified and ETag. A prefix with no objects is
 * simply empty, since S3 has no folders; a missing bucket rejects with a WatchedPlaceMissingError.
 * The SDK loads on the first listing.
 *
 * @example
 *   const source = dataArrivalSource(s3FileLister({ url: 's3://landing/incoming/*.parquet', endpoint: 'http://127.0.0.1:9000' }), 30_000);
 */
export function s3FileLister(options: S3FileListerOptions): FileLister {
  const compiled = compileS3FileListerOptions(options);
  const { bucket, prefix, pageSize } = compiled;
  const matches = fileNameMatcher(compiled.glob);
  const location: S3Location = { bucket, prefix: prefix.replace(/\/$/, ''), endpoint: compiled.endpoint, region: compiled.region };
  let client: S3Client | undefined;
  return {
    async list() {
      const sdk = await import('@aws-sdk/client-s3');
      client ??= new sdk.S3Client(s3ClientConfig(compiled));
      const files: ListedFile[] = [];
      let ContinuationToken: string | undefined;
      do {
        const request = new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', MaxKeys: pageSize, ContinuationToken });
        let page;
        try {
          page = await client.send(request);
        } catch (error) {
          throw listingFailure(error, location);
        }
        for (const { Key, Size, LastModified, ETag } of page.Contents ?? []) {
          // The prefix's own "folder" marker (`incoming/`) has an empty name: not a file.
          const name = Key?.slice(prefix.length) ?? '';
          if (name === '' || !matches.test(name)) continue;
          files.push({
            path: `s3://${bucket}/${Key}`,
            size: Size ?? 0,
            mtimeMs: LastModified?.getTime() ?? 0,
            ...(ETag ? { version: ETag.replace(/"/g, '') } : {}),
          });
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken !== undefined);
      return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    close() {
      client?.destroy();
      client = undefined;
    },
  };
}

/** What the SDK threw, as an error whose message names the bucket and where it lives. */
function listingFailure(error: unknown, location: S3Location): Error {
  const { name = 'Error', code, message } = (error ?? {}) as { name?: string; code?: string; message?: string };
  const where = describeLocation(location);
  if (name === 'NoSuchBucket') return new WatchedPlaceMissingError(`s3://${location.bucket}`, `the watched bucket ${location.bucket} does not exist (${where})`);
  const status = statusOf(error);
  const reason = [name, code, status === undefined ? undefined : `(HTTP ${status})`].filter((part) => part !== undefined && part !== '').join(' ');
  return new WatchedPlaceUnreadableError(`s3://${location.bucket}`, `listing ${where} failed with ${reason}${message ? `: ${message}` : ''}`, error);
}
