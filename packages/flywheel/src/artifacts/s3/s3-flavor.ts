import { join } from 'node:path';
import { z } from 'zod';
import type { Flavor } from '../../config/flavor.js';
import { InvalidInputError } from '../../core/errors.js';
import type { ArtifactStore } from '../artifact-store.js';

/** S3's naming rules for buckets, so a typo fails at config time rather than on first upload. */
export const bucketName = z
  .string()
  .min(3, 'a bucket name has 3 to 63 characters')
  .max(63, 'a bucket name has 3 to 63 characters')
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'a bucket name has lowercase letters, digits, dots and hyphens, and starts and ends with a letter or digit')
  .refine((name) => !name.includes('..'), 'a bucket name has no two adjacent dots')
  .refine((name) => !/^\d+\.\d+\.\d+\.\d+$/.test(name), 'a bucket name is not an IP address');

export const s3ArtifactsOptions = z.object({
  flavor: z.literal('s3'),
  bucket: bucketName,
  /** Key prefix inside the bucket; slashes around it are ignored. */
  prefix: z.string().optional(),
  /** Any S3-compatible endpoint (MinIO, Ceph, R2…); AWS when absent. */
  endpoint: z.url().optional(),
  region: z.string().min(1).default('us-east-1'),
  /** Path-style addressing (`endpoint/bucket/key`); true by default when an endpoint is set. */
  forcePathStyle: z.boolean().optional(),
  /** Without keys, the AWS SDK's default credential chain applies (AWS_* env, profiles, roles). */
  accessKeyId: z.string().min(1).optional(),
  secretAccessKey: z.string().min(1).optional(),
}).refine((options) => (options.accessKeyId === undefined) === (options.secretAccessKey === undefined), {
  message: 'give both accessKeyId and secretAccessKey, or neither',
  path: ['secretAccessKey'],
});

export type S3ArtifactsOptions = z.infer<typeof s3ArtifactsOptions>;

/**
 * Artifacts in an S3 bucket, through the plain S3 API so any compatible server works.
 *
 * @example
 *   artifacts: { flavor: 's3', bucket: 'ml-artifacts', prefix: 'flywheel', endpoint: 'http://127.0.0.1:9000' }
 *   artifacts: 's3://ml-artifacts/flywheel'
 */
export const s3ArtifactsFlavor: Flavor<S3ArtifactsOptions, ArtifactStore> = {
  name: 's3',
  description: 'Content-addressed blobs in an S3 bucket (AWS or any S3-compatible endpoint)',
  options: s3ArtifactsOptions,
  schemes: ['s3'],
  fromUri(uri) {
    const match = /^s3:\/\/([^/]+)\/*(.*)$/.exec(uri);
    if (!match) {
      throw new InvalidInputError('artifacts', `${JSON.stringify(uri)} is not an s3 uri`, 'use s3://bucket or s3://bucket/prefix');
    }
    const prefix = (match[2] ?? '').replace(/\/+$/, '');
    return prefix === '' ? { flavor: 's3', bucket: match[1] } : { flavor: 's3', bucket: match[1], prefix };
  },
  async create(options, context) {
    const { S3ArtifactStore } = await import('./s3-artifact-store.js');
    // Spool under Flywheel's home rather than /tmp, which is often a small RAM disk.
    return S3ArtifactStore.open({ ...options, spoolDir: join(context.home, 'tmp', 's3-spool') });
  },
};
