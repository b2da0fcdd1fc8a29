import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Alert, ControlStore, NewAlert, NewFiring, NewRollout } from './control-store.js';
import type { MetadataBackend } from './metadata-backend.js';
import { rejection } from '../core/test-support.js';

const JAN = new Date('2001-01-01T00:00:00.000Z');
const FEB = new Date('2001-02-01T00:00:00.000Z');
const MAR = new Date('2001-03-01T00:00:00.000Z');

function nightly(day: number, runId = `run-${day}`): NewFiring {
  const at = `2001-02-0${day}T00:00:00.000Z`;
  return { trigger: 'nightly', eventKey: `schedule:${at}`, event: { kind: 'schedule', at }, runId };
}

function aucAlert(overrides: Partial<NewAlert> = {}): NewAlert {
  return {
    rule: 'auc-floor', model: 'flights', version: 3, windowStart: JAN, windowEnd: FEB,
    metric: 'auc', value: 0.61, threshold: 0.7, details: { labeled: 1200 }, ...overrides,
  };
}

function challenger(overrides: Partial<NewRollout> = {}): NewRollout {
  return {
    model: 'flights', challengerVersion: 4, championVersion: 3, phase: 'evaluating',
    runId: 'run-7', reason: 'retrained on February', details: { auc: 0.74 }, ...overrides,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every ControlStore must have. `open` returns a backend over an empty database
 * each time it is called.
 *
 * @example
 *   runControlStoreContract('sqlite', () => openSqliteMetadataBackend({ path: tempFile() }));
 */
export function runControlStoreContract(label: string, open: () => Promise<MetadataBackend>): void {
  describe(`ControlStore contract: ${label}`, () => {
    let backend: MetadataBackend;
    let control: ControlStore;

    beforeEach(async () => {
      backend = await open();
      control = backend.control;
    });
    afterEach(async () => {
      await backend.close();
    });

    async function invalidField(promise: Promise<unknown>): Promise<string> {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(InvalidInputError);
      return (error as InvalidInputError).field;
    }

    describe('trigger state', () => {
      it('saves, replaces and reads a trigger’s state', async () => {
        expect(await control.triggerState('nightly')).toBeUndefined();
        await control.saveTriggerState('nightly', { cursor: '2001-02-01', seen: ['a.csv'] });
        expect(await control.triggerState('nightly')).toEqual({ cursor: '2001-02-01', seen: ['a.csv'] });
        await control.saveTriggerState('nightly', { cursor: '2001-02-02' });
        expect(await control.triggerState('nightly')).toEqual({ cursor: '2001-02-02' });
        expect(await control.triggerState('hourly')).toBeUndefined();
      });

      it('rejects an empty trigger name and a state that is not an object, naming the field', async () => {
        expect(await invalidField(control.saveTriggerState('', { cursor: 'x' }))).toBe('trigger');
        expect(await invalidField(control.triggerState(''))).toBe('trigger');
        expect(await invalidField(control.saveTriggerState('nightly', ['x'] as never))).toBe('state');
        expect(await control.triggerState('nightly')).toBeUndefined();
      });
    });

    describe('firings', () => {
      it('records a pending firing and saves the state with it', async () => {
        const firing = await control.fire(nightly(1), { cursor: 'feb-1' });
        expect(firing).toEqual({
          id: expect.any(Number),
          trigger: 'nightly',
          eventKey: 'schedule:2001-02-01T00:00:00.000Z',
          event: { kind: 'schedule', at: '2001-02-01T00:00:00.000Z' },
          runId: 'run-1',
          status: 'pending',
          error: null,
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
        });
        expect(firing?.updatedAt).toEqual(firing?.createdAt);
        expect(await control.triggerState('nightly')).toEqual({ cursor: 'feb-1' });
        expect(await control.findFirings()).toEqual([firing]);
      });

      it('returns undefined for an event that fired already and changes nothing', async () => {
        const first = await control.fire(nightly(1), { cursor: 'feb-1' });
        const again = await control.fire(nightly(1, 'run-retry'), { cursor: 'moved-on' });
        expect(again).toBeUndefined();
        expect(await control.triggerState('nightly')).toEqual({ cursor: 'feb-1' });
        expect(await control.findFirings()).toEqual([first]);
        // The duplicate left no trace: its run id is still free.
        expect((await control.fire(nightly(2, 'run-retry')))?.runId).toBe('run-retry');
      });

      it('fires without touching the state when none is given', async () => {
        expect(await control.fire(nightly(1))).toBeDefined();
        expect(await control.triggerState('nightly')).toBeUndefined();
        await control.saveTriggerState('nightly', { cursor: 'kept' });
        expect(await control.fire(nightly(2))).toBeDefined();
        expect(await control.triggerState('nightly')).toEqual({ cursor: 'kept' });
      });

      it('records one firing when five controllers fire the same event at once', async () => {
        const results = await Promise.all([1, 2, 3, 4, 5].map((n) => control.fire(nightly(1, `run-controller-${n}`), { cursor: `controller-${n}` })));
        const fired = results.filter((firing) => firing !== undefined);
        expect(fired).toHaveLength(1);
        const [winner] = fired;
        expect(await control.findFirings({ trigger: 'nightly' })).toEqual([winner]);
        expect(await control.triggerState('nightly')).toEqual({ cursor: `controller-${winner?.runId.slice('run-controller-'.length)}` });
      });

      it('records one firing when the same call is retried five times at once', async () => {
        const results = await Promise.all(Array.from({ length: 5 }, () => control.fire(nightly(1), { cursor: 'feb-1' })));
        expect(results.filter((firing) => firing !== undefined)).toHaveLength(1);
        expect((await control.findFirings()).map((firing) => firing.runId)).toEqual(['run-1']);
      });

      it('refuses a run id another firing holds, saving nothing', async () => {
        const first = await control.fire(nightly(1, 'run-shared'));
        const error = await rejection(control.fire({ trigger: 'on-upload', eventKey: 'file:jan.csv', event: {}, runId: 'run-shared' }, { cursor: 'jan.csv' }));
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).message).toContain('run-shared');
        expect((error as ConflictError).message).toContain('nightly');
        expect(await control.findFirings()).toEqual([first]);
        expect(await control.triggerState('on-upload')).toBeUndefined();
      });

      it('moves a firing through its statuses', async () => {
        const firing = await control.fire(nightly(1));
        const id = firing?.id ?? 0;
        const running = await control.updateFiring(id, { status: 'running' });
        expect(running).toMatchObject({ id, status: 'running', error: null, runId: 'run-1', createdAt: firing?.createdAt });
        expect(running.updatedAt.getTime()).toBeGreaterThanOrEqual(running.createdAt.getTime());
        const failed = await control.updateFiring(id, { status: 'failed', error: 'trainer ran out of memory' });
        expect(failed).toMatchObject({ status: 'failed', error: 'trainer ran out of memory' });
        expect(await control.updateFiring(id, { status: 'running' })).toMatchObject({ status: 'running', error: 'trainer ran out of memory' });
        const complete = await control.updateFiring(id, { status: 'complete', error: null });
        expect(complete).toMatchObject({ status: 'complete', error: null });
        expect(await control.findFirings()).toEqual([complete]);
      });

      it('throws NotFoundError for an unknown firing and InvalidInputError for an unknown status', async () => {
        const missing = await rejection(control.updateFiring(987_654, { status: 'running' }));
        expect(missing).toBeInstanceOf(NotFoundError);
        expect((missing as NotFoundError).message).toContain('987654');
        const firing = await control.fire(nightly(1));
        expect(await invalidField(control.updateFiring(firing?.id ?? 0, { status: 'done' as never }))).toBe('patch.status');
        expect((await control.findFirings())[0]?.status).toBe('pending');
      });

      it('rejects an empty trigger, event key or run id, naming the field', async () => {
        expect(await invalidField(control.fire({ ...nightly(1), trigger: '' }))).toBe('firing.trigger');
        expect(await invalidField(control.fire({ ...nightly(1), eventKey: '' }))).toBe('firing.eventKey');
        expect(await invalidField(control.fire({ ...nightly(1), runId: '' }))).toBe('firing.runId');
        expect(await invalidField(control.fire(nightly(1), 'cursor' as never))).toBe('state');
        expect(await control.findFirings()).toEqual([]);
      });

      it('finds firings by trigger and status, newest first, up to a limit', async () => {
        const a1 = await control.fire(nightly(1));
        const b1 = await control.fire({ trigger: 'on-upload', eventKey: 'file:jan.csv', event: { file: 'jan.csv' }, runId: 'run-upload-1' });
        const a2 = await control.fire(nightly(2));
        const b2 = await control.fire({ trigger: 'on-upload', eventKey: 'file:feb.csv', event: { file: 'feb.csv' }, runId: 'run-upload-2' });
        const a3 = await control.fire(nightly(3));
        await control.updateFiring(a1?.id ?? 0, { status: 'complete' });
        await control.updateFiring(a2?.id ?? 0, { status: 'running' });
        await control.updateFiring(b1?.id ?? 0, { status: 'failed', error: 'bad file' });
        const runIds = async (query?: Parameters<ControlStore['findFirings']>[0]): Promise<string[]> =>
          (await control.findFirings(query)).map((firing) => firing.runId);

        expect(await runIds()).toEqual([a3, b2, a2, b1, a1].map((firing) => firing?.runId));
        expect(await runIds({ trigger: 'nightly' })).toEqual(['run-3', 'run-2', 'run-1']);
        expect(await runIds({ statuses: ['pending', 'running'] })).toEqual(['run-3', 'run-upload-2', 'run-2']);
        expect(await runIds({ trigger: 'nightly', statuses: ['pending', 'running'] })).toEqual(['run-3', 'run-2']);
        expect(await runIds({ trigger: 'on-upload', statuses: ['failed'] })).toEqual(['run-upload-1']);
        expect(await runIds({ limit: 2 })).toEqual(['run-3', 'run-upload-2']);
        expect(await runIds({ trigger: 'nightly', limit: 1 })).toEqual(['run-3']);
        expect(await runIds({ statuses: [] })).toEqual([]);
        expect(await runIds({ trigger: 'hourly' })).toEqual([]);
        expect(await invalidField(control.findFirings({ statuses: ['pending', 'done' as never] }))).toBe('query.statuses[1]');
      });
    });

    describe('alerts', () => {
      it('records an alert once per rule, model, version and window start', async () => {
        const raised = await control.raiseAlert(aucAlert());
        expect(raised).toEqual({ id: expect.any(Number), createdAt: expect.any(Date), ...aucAlert() });
        expect(await control.raiseAlert(aucAlert({ value: 0.5, windowEnd: MAR }))).toBeUndefined();
        expect(await control.findAlerts()).toEqual([raised]);

        const nextWindow = await control.raiseAlert(aucAlert({ windowStart: FEB, windowEnd: MAR }));
        const otherVersion = await control.raiseAlert(aucAlert({ version: 4 }));
        const otherModel = await control.raiseAlert(aucAlert({ model: 'churn' }));
        const otherRule = await control.raiseAlert(aucAlert({ rule: 'drift', metric: 'input_drift_share', value: 0.4, threshold: 0.3 }));
        for (const alert of [nextWindow, otherVersion, otherModel, otherRule]) expect(alert).toBeDefined();
        expect(await control.findAlerts()).toHaveLength(5);
      });

      it('keeps alerts over all versions (version null) unique per window too', async () => {
        const overAll = await control.raiseAlert(aucAlert({ version: null }));
        expect(overAll?.version).toBeNull();
        expect(await control.raiseAlert(aucAlert({ version: null, value: 0.2 }))).toBeUndefined();
        const versioned = await control.raiseAlert(aucAlert({ version: 3 }));
        expect(versioned?.version).toBe(3);
        const alerts = await control.findAlerts();
        expect(alerts).toEqual([versioned, overAll]);
        expect(alerts.map((alert) => alert.value)).toEqual([0.61, 0.61]);
      });

      it('raises one alert when five monitors raise it at once', async () => {
        const results = await Promise.all([1, 2, 3, 4, 5].map((n) => control.raiseAlert(aucAlert({ version: null, value: n / 10 }))));
        expect(results.filter((alert) => alert !== undefined)).toHaveLength(1);
        expect(await control.findAlerts()).toHaveLength(1);
      });

      it('finds alerts by rule, model and creation time, newest first, up to a limit', async () => {
        const first = await control.raiseAlert(aucAlert());
        const drift = await control.raiseAlert(aucAlert({ rule: 'drift', metric: 'input_drift_share', value: 0.4, threshold: 0.3 }));
        await sleep(5);
        const mark = new Date();
        await sleep(5);
        const churn = await control.raiseAlert(aucAlert({ model: 'churn' }));
        const late = await control.raiseAlert(aucAlert({ windowStart: FEB, windowEnd: MAR }));
        const ids = async (query?: Parameters<ControlStore['findAlerts']>[0]): Promise<(number | undefined)[]> =>
          (await control.findAlerts(query)).map((alert) => alert.id);

        expect(await ids()).toEqual([late, churn, drift, first].map((alert) => alert?.id));
        expect(await ids({ rule: 'auc-floor' })).toEqual([late, churn, first].map((alert) => alert?.id));
        expect(await ids({ model: 'flights' })).toEqual([late, drift, first].map((alert) => alert?.id));
        expect(await ids({ rule: 'auc-floor', model: 'flights' })).toEqual([late, first].map((alert) => alert?.id));
        expect(await ids({ since: mark })).toEqual([late, churn].map((alert) => alert?.id));
        expect(await ids({ since: mark, model: 'flights' })).toEqual([late?.id]);
        expect(await ids({ since: (churn as Alert).createdAt, limit: 1 })).toEqual([late?.id]);
        expect(await ids({ limit: 3 })).toEqual([late, churn, drift].map((alert) => alert?.id));
        expect(await ids({ rule: 'nope' })).toEqual([]);
      });

      it('rejects a non-finite value, a bad window or an empty rule, naming the field', async () => {
        expect(await invalidField(control.raiseAlert(aucAlert({ value: Number.NaN })))).toBe('alert.value');
        expect(await invalidField(control.raiseAlert(aucAlert({ value: Infinity })))).toBe('alert.value');
        expect(await invalidField(control.raiseAlert(aucAlert({ threshold: -Infinity })))).toBe('alert.threshold');
        expect(await invalidField(control.raiseAlert(aucAlert({ windowEnd: new Date(JAN.getTime() - 1) })))).toBe('alert.windowEnd');
        expect(await invalidField(control.raiseAlert(aucAlert({ windowStart: new Date(Number.NaN) })))).toBe('alert.windowStart');
        expect(await invalidField(control.raiseAlert(aucAlert({ rule: '' })))).toBe('alert.rule');
        expect(await invalidField(control.raiseAlert(aucAlert({ version: 0 })))).toBe('alert.version');
        expect(await control.findAlerts()).toEqual([]);
      });
    });

    describe('rollouts', () => {
      it('starts a rollout, the model’s open one', async () => {
        const started = await control.startRollout(challenger());
        expect(started).toEqual({ id: expect.any(Number), createdAt: expect.any(Date), updatedAt: expect.any(Date), ...challenger() });
        expect(await control.openRollout('flights')).toEqual(started);
        expect(await control.openRollout('churn')).toBeUndefined();
        const first = await control.startRollout(challenger({ model: 'churn', championVersion: null, runId: null, phase: 'canary' }));
        expect(first).toMatchObject({ championVersion: null, runId: null, phase: 'canary' });
        expect(await control.openRollout('churn')).toEqual(first);
      });

      it('refuses a second undecided rollout of a model until the first is decided', async () => {
        const first = await control.startRollout(challenger());
        const error = await rejection(control.startRollout(challenger({ challengerVersion: 5 })));
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).message).toContain('flights');
        expect((error as ConflictError).message).toContain(`rollout ${first.id}`);
        expect(await control.findRollouts()).toEqual([first]);

        await control.updateRollout(first.id, { phase: 'canary' });
        expect(await rejection(control.startRollout(challenger({ challengerVersion: 5 })))).toBeInstanceOf(ConflictError);
        // A decided rollout may be recorded beside the open one.
        const rejected = await control.startRollout(challenger({ challengerVersion: 5, phase: 'rejected', reason: 'auc fell' }));
        expect(rejected.phase).toBe('rejected');

        await control.updateRollout(first.id, { phase: 'promoted' });
        expect(await control.openRollout('flights')).toBeUndefined();
        const second = await control.startRollout(challenger({ challengerVersion: 6, championVersion: 4 }));
        expect(await control.openRollout('flights')).toEqual(second);
      });

      it('starts one rollout when five controllers start one for the same model at once', async () => {
        const results = await Promise.allSettled([4, 5, 6, 7, 8].map((v) => control.startRollout(challenger({ challengerVersion: v }))));
        const started = results.filter((result) => result.status === 'fulfilled');
        expect(started).toHaveLength(1);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
        }
        expect(await control.findRollouts()).toHaveLength(1);
      });

      it('moves a rollout on, merging its details', async () => {
        const started = await control.startRollout(challenger({ details: { auc: 0.74, offline: { rows: 9000 } } }));
        const canary = await control.updateRollout(started.id, { phase: 'canary', details: { offline: 'passed', canaryShare: 0.1 } });
        expect(canary).toEqual({
          ...started,
          phase: 'canary',
          details: { auc: 0.74, offline: 'passed', canaryShare: 0.1 },
          updatedAt: expect.any(Date),
        });
        const reasoned = await control.updateRollout(started.id, { reason: 'canary error rate 0.2% below champion' });
        expect(reasoned).toMatchObject({ phase: 'canary', reason: 'canary error rate 0.2% below champion', details: canary.details });
        const rolledBack = await control.updateRollout(started.id, { phase: 'rolled_back', details: {} });
        expect(rolledBack).toMatchObject({ phase: 'rolled_back', details: canary.details, createdAt: started.createdAt });
        expect(await control.findRollouts()).toEqual([rolledBack]);
        expect(await control.openRollout('flights')).toBeUndefined();
      });

      it('refuses to reopen a decided rollout while another is open', async () => {
        const first = await control.startRollout(challenger());
        await control.updateRollout(first.id, { phase: 'rejected' });
        const second = await control.startRollout(challenger({ challengerVersion: 5 }));
        const error = await rejection(control.updateRollout(first.id, { phase: 'canary', details: { retried: true } }));
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as ConflictError).message).toContain('flights');
        expect((await control.findRollouts()).map((rollout) => [rollout.id, rollout.phase, rollout.details])).toEqual([
          [second.id, 'evaluating', { auc: 0.74 }],
          [first.id, 'rejected', { auc: 0.74 }],
        ]);
      });

      it('throws NotFoundError for an unknown rollout and InvalidInputError for an unknown phase', async () => {
        const missing = await rejection(control.updateRollout(987_654, { phase: 'promoted' }));
        expect(missing).toBeInstanceOf(NotFoundError);
        expect((missing as NotFoundError).message).toContain('987654');
        expect(await invalidField(control.startRollout(challenger({ phase: 'shadow' as never })))).toBe('rollout.phase');
        expect(await invalidField(control.startRollout(challenger({ challengerVersion: 0 })))).toBe('rollout.challengerVersion');
        expect(await invalidField(control.startRollout(challenger({ model: '' })))).toBe('rollout.model');
        const started = await control.startRollout(challenger());
        expect(await invalidField(control.updateRollout(started.id, { phase: 'done' as never }))).toBe('patch.phase');
        expect(await invalidField(control.openRollout(''))).toBe('model');
        expect(await control.findRollouts()).toEqual([started]);
      });

      it('finds rollouts newest first, by model, up to a limit', async () => {
        const a = await control.startRollout(challenger({ challengerVersion: 4, phase: 'promoted' }));
        const b = await control.startRollout(challenger({ model: 'churn', challengerVersion: 2 }));
        const c = await control.startRollout(challenger({ challengerVersion: 5, phase: 'rejected' }));
        const d = await control.startRollout(challenger({ challengerVersion: 6 }));
        const ids = async (query?: Parameters<ControlStore['findRollouts']>[0]): Promise<number[]> =>
          (await control.findRollouts(query)).map((rollout) => rollout.id);

        expect(await ids()).toEqual([d.id, c.id, b.id, a.id]);
        expect(await ids({ model: 'flights' })).toEqual([d.id, c.id, a.id]);
        expect(await ids({ model: 'flights', limit: 2 })).toEqual([d.id, c.id]);
        expect(await ids({ limit: 1 })).toEqual([d.id]);
        expect(await ids({ model: 'nope' })).toEqual([]);
        expect(await control.findRollouts({ model: 'churn' })).toEqual([b]);
      });
    });
  });
}
