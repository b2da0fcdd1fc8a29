import { describe, expect, it } from 'vitest';
import { cacheKey } from './cache-key.js';
import type { StepIR } from './ir.js';

const fn: Pick<StepIR, 'component' | 'params'> = { component: { kind: 'function', name: 'train', version: '1' }, params: { epochs: 3, rate: 0.1 } };
const cmd: Pick<StepIR, 'component' | 'params'> = {
  component: { kind: 'command', name: 'score', version: '1', command: ['python3', 'score.py'], cwd: null, env: { A: '1' } },
  params: {},
};

describe('cacheKey', () => {
  it('is a sha256 hex that ignores key order of params and inputs', () => {
    const key = cacheKey(fn, { examples: 'aa', schema: 'bb' });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...fn, params: { rate: 0.1, epochs: 3 } }, { schema: 'bb', examples: 'aa' })).toBe(key);
  });

  it('changes with component name, version, kind, params and input digests', () => {
    const key = cacheKey(fn, { examples: 'aa' });
    const variants = [
      cacheKey({ ...fn, component: { ...fn.component, name: 'train2' } as StepIR['component'] }, { examples: 'aa' }),
      cacheKey({ ...fn, component: { ...fn.component, version: '2' } as StepIR['component'] }, { examples: 'aa' }),
      cacheKey({ ...fn, component: { ...cmd.component, name: 'train', version: '1' } as StepIR['component'] }, { examples: 'aa' }),
      cacheKey({ ...fn, params: { epochs: 4, rate: 0.1 } }, { examples: 'aa' }),
      cacheKey(fn, { examples: 'ab' }),
      cacheKey(fn, { data: 'aa' }),
      cacheKey(fn, {}),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });

  it('changes with the command, its folder and its environment', () => {
    const key = cacheKey(cmd, {});
    const component = cmd.component as Extract<StepIR['component'], { kind: 'command' }>;
    expect(cacheKey({ ...cmd, component: { ...component, command: ['python3', 'score2.py'] } }, {})).not.toBe(key);
    expect(cacheKey({ ...cmd, component: { ...component, cwd: 'tools' } }, {})).not.toBe(key);
    expect(cacheKey({ ...cmd, component: { ...component, env: { A: '2' } } }, {})).not.toBe(key);
  });
});
