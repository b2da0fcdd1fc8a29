import { describe, expect, it } from 'vitest';
import { s3ArtifactsFlavor } from './s3-flavor.js';

describe('s3ArtifactsFlavor', () => {
  it('reads s3 uris with and without a prefix', () => {
    expect(s3ArtifactsFlavor.fromUri('s3://ml-artifacts')).toEqual({ flavor: 's3', bucket: 'ml-artifacts' });
    expect(s3ArtifactsFlavor.fromUri('s3://ml-artifacts/team/flywheel/')).toEqual({ flavor: 's3', bucket: 'ml-artifacts', prefix: 'team/flywheel' });
    expect(() => s3ArtifactsFlavor.fromUri('file:///tmp')).toThrow(/not an s3 uri/);
  });

  it('defaults the region and leaves credentials to the SDK', () => {
    expect(s3ArtifactsFlavor.options.parse({ flavor: 's3', bucket: 'ml-artifacts' })).toEqual({ flavor: 's3', bucket: 'ml-artifacts', region: 'us-east-1' });
  });

  it.each([
    ['ab', 'bucket'],
    ['a'.repeat(64), 'bucket'],
    ['Upper-Case', 'bucket'],
    ['-leading-hyphen', 'bucket'],
    ['two..dots', 'bucket'],
    ['192.168.1.10', 'bucket'],
  ])('rejects the bucket name %j', (bucket, field) => {
    const result = s3ArtifactsFlavor.options.safeParse({ flavor: 's3', bucket });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });

  it('rejects a bad endpoint and a lone access key, naming the field', () => {
    const badEndpoint = s3ArtifactsFlavor.options.safeParse({ flavor: 's3', bucket: 'ml-artifacts', endpoint: 'not a url' });
    expect(badEndpoint.error?.issues[0]?.path).toEqual(['endpoint']);
    const loneKey = s3ArtifactsFlavor.options.safeParse({ flavor: 's3', bucket: 'ml-artifacts', accessKeyId: 'AKIA' });
    expect(loneKey.error?.issues[0]?.path).toEqual(['secretAccessKey']);
  });
});
