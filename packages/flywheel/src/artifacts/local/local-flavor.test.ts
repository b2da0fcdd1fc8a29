import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.js';
import { localArtifactsFlavor } from './local-flavor.js';

describe('localArtifactsFlavor', () => {
  it('reads file uris, absolute and relative', () => {
    expect(localArtifactsFlavor.fromUri('file:///var/lib/artifacts')).toEqual({ flavor: 'local', path: '/var/lib/artifacts' });
    expect(localArtifactsFlavor.fromUri('file:data/artifacts')).toEqual({ flavor: 'local', path: 'data/artifacts' });
    expect(() => localArtifactsFlavor.fromUri('s3://bucket')).toThrow(InvalidInputError);
    expect(() => localArtifactsFlavor.fromUri('file://other-host/dir')).toThrow(InvalidInputError);
  });

  it('validates its options', () => {
    expect(localArtifactsFlavor.options.parse({ flavor: 'local' })).toEqual({ flavor: 'local' });
    expect(localArtifactsFlavor.options.safeParse({ flavor: 'local', path: '' }).success).toBe(false);
  });

  it('puts the store under <home>/artifacts, or a path relative to the project', async () => {
    const projectDir = await mkdtemp(join(tmpdir(), 'fw-local-flavor-'));
    const home = join(projectDir, '.flywheel');
    const byDefault = await localArtifactsFlavor.create({ flavor: 'local' }, { projectDir, home });
    expect((await byDefault.putBytes('x')).uri.startsWith(`file://${join(home, 'artifacts')}/sha256/`)).toBe(true);
    const relative = await localArtifactsFlavor.create({ flavor: 'local', path: 'blobs' }, { projectDir, home });
    expect((await relative.putBytes('x')).uri.startsWith(`file://${join(projectDir, 'blobs')}/sha256/`)).toBe(true);
    await rm(projectDir, { recursive: true, force: true });
  });
});
