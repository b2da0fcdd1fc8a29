import type { Stack } from '../config/stack.js';
import type { ControllerNote } from '../controller/controller-state.js';
import { writeReport } from '../data/report/write-report.js';
import type { Alert, Firing, Rollout } from '../metadata/control-store.js';
import { renderLoopReport } from '../monitoring/loop-report.js';
import { monitorModel } from '../monitoring/monitor-model.js';
import { versionLineage } from '../monitoring/prediction-lineage.js';
import type { AliasMove } from '../registry/model.js';
import { FLIGHTS_MODEL } from './flights-pipeline.js';
import type { LoopDemoResult } from './loop-demo.js';

const WEEK_MS = 7 * 86_400_000;

/**
 * The demo's HTML report: live AUC per week and version with the promotions, input drift per
 * feature, the timeline and the champion's lineage. The stores stamp their records with the wall
 * clock, while the replay happened on the controller's clock (2001): every event is placed at the
 * replay time the controller noted it, so markers land on the weeks they belong to.
 */
export async function writeLoopDemoReport(stack: Stack, result: LoopDemoResult, file: string): Promise<void> {
  const monitoring = await monitorModel(stack, { model: FLIGHTS_MODEL, windowMs: WEEK_MS, minRows: 300, drift: { features: { dow: { ignore: true } } } });
  const notes = result.notes;
  const champion = await stack.registry.findAlias(FLIGHTS_MODEL, 'champion');
  const html = renderLoopReport({
    model: FLIGHTS_MODEL,
    metric: 'auc',
    generatedAt: new Date(),
    monitoring,
    aliasMoves: (await stack.registry.aliasHistory(FLIGHTS_MODEL)).map((move) => replayMove(move, notes, result.from)),
    rollouts: (await stack.control.findRollouts({ model: FLIGHTS_MODEL, limit: 1000 })).map((rollout) => replayRollout(rollout, notes)),
    firings: (await stack.control.findFirings({ limit: 1000 })).map(replayFiring),
    alerts: (await stack.control.findAlerts({ model: FLIGHTS_MODEL, limit: 1000 })).map((alert) => replayAlert(alert, notes)),
    champion: champion ? await versionLineage(stack, FLIGHTS_MODEL, champion.version) : null,
    summary: [
      `Replayed ${result.requests.toLocaleString('en-US')} requests (a share of the flights of ${result.from.toISOString().slice(0, 10)} to ${result.until.toISOString().slice(0, 10)}) with their labels a day later.`,
      `Retraining: the four weeks before each event, the last held out (${JSON.stringify(result.retrain)}).`,
    ],
  });
  await writeReport(html, file);
}

function noteTime(notes: readonly ControllerNote[], match: (note: ControllerNote) => boolean, which: 'first' | 'last' = 'first'): Date | undefined {
  const found = which === 'first' ? notes.find(match) : notes.findLast(match);
  return found ? new Date(found.at) : undefined;
}

function replayMove(move: AliasMove, notes: readonly ControllerNote[], from: Date): AliasMove {
  if (move.actor !== 'controller') return { ...move, at: from };
  const at = noteTime(notes, (n) => n.details.version === move.toVersion && n.text.includes('promoted to champion'));
  return at ? { ...move, at } : move;
}

function replayRollout(rollout: Rollout, notes: readonly ControllerNote[]): Rollout {
  const about = (n: ControllerNote) => n.details.version === rollout.challengerVersion && n.details.model === rollout.model;
  return { ...rollout, createdAt: noteTime(notes, about) ?? rollout.createdAt, updatedAt: noteTime(notes, about, 'last') ?? rollout.updatedAt };
}

function replayFiring(firing: Firing): Firing {
  const at = typeof firing.event.time === 'string' ? new Date(firing.event.time) : firing.createdAt;
  return { ...firing, createdAt: at, updatedAt: at };
}

function replayAlert(alert: Alert, notes: readonly ControllerNote[]): Alert {
  return { ...alert, createdAt: noteTime(notes, (n) => n.details.alert === alert.id) ?? alert.windowEnd };
}
