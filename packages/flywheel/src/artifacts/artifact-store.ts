import type { Readable } from 'node:stream';

/** A blob as stored: content digest (sha256 hex), size in bytes and where it lives. */
export interface StoredBlob {
  digest: string;
  size: number;
  /** `file:///…/sha256/ab/abcdef…` or `s3://bucket/prefix/sha256/ab/abcdef…`. */
  uri: string;
}

/** What a directory blob lists: relative POSIX paths and the blobs they hold. */
export interface DirectoryManifest {
  kind: 'flywheel.directory';
  version: 1;
  files: { path: string; digest: string; size: number }[];
}

/**
 * The artifact store port: content-addressed blobs. A blob becomes visible only once whole
 * (writes go to a temporary name and are renamed or committed), so readers never see half an
 * artifact. Storing the same content twice stores it once.
 *
 * @example
 *   const blob = await store.putFile('model.onnx');
 *   await store.fetchFile(blob.digest, '/tmp/model.onnx');
 */
export interface ArtifactStore {
  /** `file` or `s3`: the scheme of the uris this store hands out. */
  readonly scheme: string;

  putFile(path: string): Promise<StoredBlob>;
  putBytes(bytes: Uint8Array | string): Promise<StoredBlob>;
  /** Streams to a temporary location while hashing; memory stays bounded for any size. */
  putStream(stream: Readable): Promise<StoredBlob>;
  /** Stores every file under `dir` and a manifest; the returned digest is the manifest's. */
  putDirectory(dir: string): Promise<StoredBlob>;

  has(digest: string): Promise<boolean>;
  /** Size of a blob, or undefined when absent. */
  stat(digest: string): Promise<{ size: number } | undefined>;
  /** NotFoundError when absent. */
  openRead(digest: string): Promise<Readable>;
  readBytes(digest: string): Promise<Buffer>;
  /** Writes the blob to `destination` atomically. NotFoundError when absent. */
  fetchFile(digest: string, destination: string): Promise<void>;
  /** Recreates a directory stored with putDirectory under `destination`. */
  fetchDirectory(digest: string, destination: string): Promise<void>;
  /**
   * A local path where the blob can be read in place without copying, when the store has one
   * (the local store does; S3 does not). Callers must not write to it.
   */
  localPath(digest: string): Promise<string | undefined>;

  /** Removes a blob; absent blobs are ignored. */
  delete(digest: string): Promise<void>;
  list(): AsyncIterable<string>;
  /** The digest in a uri this store handed out; InvalidInputError for any other uri. */
  digestOf(uri: string): string;

  close(): Promise<void>;
}
