import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { IncompatibleStateError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { ArtifactStore, StoredBlob } from '../artifact-store.js';
import type { HashedContent, WriteOptions } from '../blob-files.js';
import { copyHashed, READ_CHUNK, readAll, removeStaleFiles, replaceAtomically, temporaryName, writeHashed } from '../blob-files.js';
import { assertDigest, blobKey, digestFromUri, isDigest } from '../digest.js';
import { fetchDirectory, putDirectory } from '../directory-manifest.js';
import { mapWithLimit } from '../map-with-limit.js';
import type { S3Location } from './s3-errors.js';
import { describeLocation, isMissing, isTransient, missingBucket, s3Failure } from './s3-errors.js';
import { compileS3Connection, s3ClientConfig } from './s3-connection.js';

const MiB = 1024 * 1024;
/** S3 allows at most this many parts in one multipart upload. */
const MAX_PARTS = 10_000;
/** Spool files younger than this may belong to an upload that is still running. */
const STALE_SPOOL_MS = 60 * 60 * 1000;
const ATTEMPTS = 3;
/** A spool file is read once for the upload and deleted: no need to wait for the disk. */
const SPOOL: WriteOptions = { durable: false };

/** How to reach the bucket; every field but `bucket` is optional. */
export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket; slashes around it are ignored. */
  prefix?: string;
  /** Any S3-compatible endpoint; AWS when absent. */
  endpoint?: string;
  /** `us-east-1` by default. */
  region?: string;
  /** Path-style addressing; true by default when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Without both keys the AWS SDK's default credential chain applies. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Local folder where uploads are spooled while hashed; `<os tmpdir>/flywheel-s3-spool` by default. */
  spoolDir?: string;
  /** Blobs larger than this go up in parts; 16 MiB by default. */
  multipartThresholdBytes?: number;
  /** Size of each part (at least 5 MiB on AWS); 16 MiB by default, more when a blob needs over 10,000 parts. */
  partSizeBytes?: number;
  /** Parts uploading at once; 4 by default. */
  parallelParts?: number;
}

export interface CompiledS3ArtifactStoreOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly spoolDir: string;
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  readonly parallelParts: number;
}

export function compileS3ArtifactStoreOptions(options: S3ArtifactStoreOptions): CompiledS3ArtifactStoreOptions {
  const connection = compileS3Connection(options, 'artifacts.');
  const positive = (field: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`artifacts.${field}`, `${value} is not a positive integer`);
    return value;
  };
  return Object.freeze({
    bucket: options.bucket,
    prefix: (options.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    ...connection,
    spoolDir: resolve(options.spoolDir ?? join(tmpdir(), 'flywheel-s3-spool')),
    multipartThresholdBytes: positive('multipartThresholdBytes', options.multipartThresholdBytes, 16 * MiB),
    partSizeBytes: positive('partSizeBytes', options.partSizeBytes, 16 * MiB),
    parallelParts: positive('parallelParts', options.parallelParts, 4),
  });
}

/**
 * Blobs in an S3 bucket under `<prefix>/sha256/ab/abcdef…`, through the plain S3 API. The digest
 * is known only once the content has been read, so writes spool to a local file while hashing,
 * then upload unless the key exists. An object appears only when its PutObject or
 * CompleteMultipartUpload finishes, so readers never see half a blob.
 *
 * @example
 *   const store = await S3ArtifactStore.open({ bucket: 'ml-artifacts', endpoint: 'http://127.0.0.1:9000' });
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly scheme = 's3';
  private readonly options: CompiledS3ArtifactStoreOptions;
  private readonly client: S3Client;
  private readonly location: S3Location;

  private constructor(options: CompiledS3ArtifactStoreOptions) {
    this.options = options;
    this.location = { bucket: options.bucket, prefix: options.prefix, endpoint: options.endpoint, region: options.region };
    this.client = new S3Client({
      ...s3ClientConfig(options),
      // Checksum trailers (aws-chunked bodies) are AWS-only; many S3-compatible servers would store
      // the chunk framing as content. Content integrity comes from the sha256 digest instead.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Connects and checks that the bucket exists and the credentials may use it. */
  static async open(options: S3ArtifactStoreOptions): Promise<S3ArtifactStore> {
    const store = new S3ArtifactStore(compileS3ArtifactStoreOptions(options));
    try {
      await store.call('checking the bucket', () => store.client.send(new HeadBucketCommand({ Bucket: store.options.bucket })), () => {
        throw missingBucket(store.location);
      });
      await mkdir(store.options.spoolDir, { recursive: true });
      await removeStaleFiles(store.options.spoolDir, STALE_SPOOL_MS);
    } catch (error) {
      store.client.destroy();
      throw error;
    }
    return store;
  }

  putFile(path: string): Promise<StoredBlob> {
    return this.store((spool) => copyHashed(path, spool, SPOOL));
  }

  putBytes(bytes: Uint8Array | string): Promise<StoredBlob> {
    return this.store((spool) => writeHashed([bytes], spool, SPOOL));
  }

  putStream(stream: Readable): Promise<StoredBlob> {
    return this.store((spool) => writeHashed(stream, spool, SPOOL));
  }

  putDirectory(dir: string): Promise<StoredBlob> {
    return putDirectory(this, dir);
  }

  /**
   * `write` fills a spool file and hashes it; the upload reads the spool, never the caller's
   * file, so what is uploaded is exactly what was hashed.
   */
  private async store(write: (spool: string) => Promise<HashedContent>): Promise<StoredBlob> {
    const spool = join(this.options.spoolDir, temporaryName());
    try {
      const content = await write(spool);
      if (!(await this.has(content.digest))) await this.upload(spool, content);
      return { ...content, uri: this.uriOf(content.digest) };
    } finally {
      await rm(spool, { force: true });
    }
  }

  private async upload(file: string, { digest, size }: HashedContent): Promise<void> {
    const target = { Bucket: this.options.bucket, Key: this.keyOf(digest) };
    const body = (start: number, length: number): Readable =>
      createReadStream(file, { start, end: start + length - 1, highWaterMark: READ_CHUNK });
    if (size <= this.options.multipartThresholdBytes) {
      await this.sendWithRetries('uploading a blob', () =>
        this.client.send(new PutObjectCommand({ ...target, Body: size === 0 ? new Uint8Array() : body(0, size), ContentLength: size })),
      );
      return;
    }
    const partSize = Math.max(this.options.partSizeBytes, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    const parts = Array.from({ length: Math.ceil(size / partSize) }, (_, index) => ({
      number: index + 1,
      start: index * partSize,
      length: Math.min(partSize, size - index * partSize),
    }));
    const { UploadId } = await this.call('starting a multipart upload', () => this.client.send(new CreateMultipartUploadCommand(target)));
    try {
      const uploaded = await mapWithLimit(parts, this.options.parallelParts, async (part) => {
        const { ETag } = await this.sendWithRetries(`uploading part ${part.number} of ${parts.length}`, () =>
          this.client.send(new UploadPartCommand({ ...target, UploadId, PartNumber: part.number, Body: body(part.start, part.length), ContentLength: part.length })),
        );
        return { PartNumber: part.number, ETag };
      });
      await this.call('completing a multipart upload', () =>
        this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: uploaded } })),
      );
    } catch (error) {
      // Best effort: the upload's parts are invisible either way, and a bucket lifecycle rule
      // can reclaim them when the server cannot abort.
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== undefined;
  }

  async stat(digest: string): Promise<{ size: number } | undefined> {
    const Key = this.keyOf(assertDigest(digest));
    const head = await this.call('reading blob metadata', () => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key })), () => undefined);
    return head ? { size: head.ContentLength ?? 0 } : undefined;
  }

  async openRead(digest: string): Promise<Readable> {
    const Key = this.keyOf(assertDigest(digest));
    const object = await this.call('downloading a blob', () => this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key })), () => {
      throw new NotFoundError('artifact', digest, `no blob with this digest in ${describeLocation(this.location)}`);
    });
    return object.Body as Readable;
  }

  async readBytes(digest: string): Promise<Buffer> {
    return readAll(await this.openRead(digest));
  }

  async fetchFile(digest: string, destination: string): Promise<void> {
    const body = await this.openRead(digest);
    try {
      await replaceAtomically(resolve(destination), async (temporary) => {
        // Not synced, like the local store's copies: a fetched copy can always be fetched again.
        const received = await writeHashed(body, temporary, { durable: false });
        if (received.digest !== digest) {
          throw new IncompatibleStateError(
            `blob ${digest} in ${describeLocation(this.location)} is damaged: its content hashes to ${received.digest}`,
            'delete it and store the artifact again',
          );
        }
      });
    } finally {
      // Releases the connection when the body was not read to the end.
      body.destroy();
    }
  }

  fetchDirectory(digest: string, destination: string): Promise<void> {
    return fetchDirectory(this, digest, resolve(destination));
  }

  async localPath(digest: string): Promise<string | undefined> {
    assertDigest(digest);
    return undefined;
  }

  async delete(digest: string): Promise<void> {
    const Key = this.keyOf(assertDigest(digest));
    await this.call('deleting a blob', () => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key })), () => undefined);
  }

  async *list(): AsyncIterable<string> {
    const prefix = this.keyPrefix() + 'sha256/';
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call('listing blobs', () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken })),
      );
      for (const { Key } of page.Contents ?? []) {
        const digest = Key?.slice(Key.lastIndexOf('/') + 1) ?? '';
        if (isDigest(digest) && Key === this.keyOf(digest)) yield digest;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  digestOf(uri: string): string {
    return digestFromUri(uri, (digest) => this.uriOf(digest), this.uriOf('0'.repeat(64)));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private keyPrefix(): string {
    return this.options.prefix === '' ? '' : `${this.options.prefix}/`;
  }

  private keyOf(digest: string): string {
    return this.keyPrefix() + blobKey(digest);
  }

  private uriOf(digest: string): string {
    return `s3://${this.options.bucket}/${this.keyOf(digest)}`;
  }

  /**
   * Sends a request, turning failures into FlywheelErrors; `onMissing` gives the result (or the
   * error) for a 404 about the object.
   */
  private async call<T>(action: string, send: () => Promise<T>, onMissing?: () => T): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (onMissing && isMissing(error)) return onMissing();
      throw s3Failure(error, action, this.location);
    }
  }

  /**
   * Like `call`, for requests with a streamed body: the SDK does not retry those (it cannot
   * rewind a stream), but `send` builds a fresh body per attempt, so transient failures can be.
   */
  private async sendWithRetries<T>(action: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (attempt >= ATTEMPTS || !isTransient(error)) throw s3Failure(error, action, this.location);
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
  }
}
