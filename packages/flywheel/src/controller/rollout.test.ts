import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRepository } from '../serving/model-repository.js';
import { servingFixture } from '../serving/test-support.js';
import { compileLoopConfig } from './loop-config.js';
import { RolloutManager } from './rollout.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2001, 2, 1);

/**
 * Rollouts picked up after a restart: whatever moment the controller died at, alias and serving
 * end up agreeing. `flights` v1 is the champion, v2 the challenger (see servingFixture).
 */
describe('rollout after a restart', () => {
  let fixture: Awaited<ReturnType<typeof servingFixture>>;
  let repository: ModelRepository;
  const config = compileLoopConfig({
    serve: { models: [{ name: 'flights' }] },
    rollout: [{ model: 'flights', canary: { percent: 30, minLabeled: 50, timeout: '7d' } }],
  }, '/').rollout[0]!;
  const manager = () => new RolloutManager({ stack: fixture.stack, control: fixture.stack.control, repository, config, windowMs: DAY, clock: () => NOW });

  beforeAll(async () => {
    fixture = await servingFixture();
    repository = await ModelRepository.load(fixture.stack, [{ name: 'flights', ref: 'champion' }]);
  }, 60_000);

  afterAll(async () => {
    await repository?.close();
    await fixture?.dispose();
  });

  it('re-establishes the canary of an undecided rollout', async () => {
    const rollout = await fixture.stack.control.startRollout({
      model: 'flights', challengerVersion: 2, championVersion: 1, phase: 'canary', runId: null, reason: 'evaluated', details: { canaryStart: new Date(NOW - DAY).toISOString() },
    });
    expect(repository.deployment('flights').canary).toBeUndefined();
    await manager().resume();
    expect(repository.deployment('flights').canary).toEqual({ challenger: '2', percent: 30 });
    expect(repository.servedRefs().map((r) => r.version).sort()).toEqual([1, 2]);
    expect(await fixture.stack.control.openRollout('flights')).toMatchObject({ id: rollout.id, phase: 'canary' });
  });

  it('finishes a promotion cut short after the alias moved: the rollout is marked and the canary ends', async () => {
    await fixture.stack.registry.setAlias('flights', 'champion', 2, { actor: 'controller', reason: 'rollout: promoted' });
    await manager().resume();
    expect(await fixture.stack.control.openRollout('flights')).toBeUndefined();
    expect((await fixture.stack.control.findRollouts({ model: 'flights' }))[0]).toMatchObject({ phase: 'promoted' });
    expect(repository.deployment('flights').canary).toBeUndefined();
    await repository.refresh();
    expect(repository.servedRefs()).toEqual([{ name: 'flights', ref: 'champion', version: 2 }]);
  });

  it('rolls a canary back when no decision came within its timeout', async () => {
    await fixture.stack.registry.setAlias('flights', 'champion', 1, { actor: 'test', reason: 'back' });
    await repository.refresh();
    await fixture.stack.control.startRollout({
      model: 'flights', challengerVersion: 2, championVersion: 1, phase: 'canary', runId: null, reason: 'evaluated', details: { canaryStart: new Date(NOW - 8 * DAY).toISOString() },
    });
    await manager().resume();
    const [latest] = await fixture.stack.control.findRollouts({ model: 'flights' });
    expect(latest).toMatchObject({ phase: 'rolled_back', reason: 'canary timed out before enough labeled predictions arrived' });
    expect(repository.deployment('flights').canary).toBeUndefined();
    expect((await fixture.stack.registry.aliases('flights')).champion).toBe(1);
  });
});
