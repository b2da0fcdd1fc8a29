import type { Stack } from '../config/stack.js';
import type { ControllerNote } from '../controller/controller-state.js';
import type { Firing, Rollout } from '../metadata/control-store.js';
import { versionLineage } from '../monitoring/prediction-lineage.js';
import { FLIGHTS_MODEL } from './flights-pipeline.js';

/** Notes that tell the story: alerts, firings, rollout steps; not the runs starting and ending. */
const STORY = /^(alert |trigger .* fired|flights-delay v\d+ (in canary|promoted|rejected|rolled back|superseded))/;

/**
 * The loop's story for the terminal, at replay time: what fired and why, what each challenger
 * became, the totals, and the champion's lineage.
 */
export async function describeTimeline(stack: Stack, notes: readonly ControllerNote[]): Promise<string> {
  const lines = ['Timeline (replay time)'];
  for (const note of notes) if (STORY.test(note.text)) lines.push(`  ${note.at.slice(0, 10)}  ${note.text}`);
  const firings = await stack.control.findFirings({ limit: 1000 });
  const rollouts = await stack.control.findRollouts({ model: FLIGHTS_MODEL, limit: 1000 });
  lines.push('', `Outcome: ${describeOutcome(firings, rollouts)}`);
  const champion = await stack.registry.findAlias(FLIGHTS_MODEL, 'champion');
  if (champion) {
    const lineage = await versionLineage(stack, FLIGHTS_MODEL, champion.version);
    const run = lineage.run;
    const trigger = run?.trigger;
    lines.push(`Champion: ${FLIGHTS_MODEL} v${champion.version}, auc ${champion.metrics.auc?.toFixed(3) ?? '-'} on its held-out week`);
    if (run) {
      lines.push(`  ← run ${run.runId} of ${run.pipeline ?? '?'} (pipeline version ${run.pipelineVersion?.slice(0, 12) ?? '?'}, params ${JSON.stringify(run.params)})`);
      lines.push(`  ← code ${run.codeVersion ? `git ${run.codeVersion.commit.slice(0, 12)}${run.codeVersion.dirty ? ' with uncommitted changes' : ''}` : 'not in a git work tree'}`);
      lines.push(`  ← data ${champion.trainingData?.uri ?? '?'} (sha256 ${champion.trainingData?.digest.slice(0, 12) ?? '?'})`);
      if (trigger) lines.push(`  ← trigger ${String(trigger.name)} (${String(trigger.kind)}${describeEvent(trigger.event)})`);
    }
  }
  return lines.join('\n');
}

function describeOutcome(firings: readonly Firing[], rollouts: readonly Rollout[]): string {
  const byKind = new Map<string, number>();
  for (const f of firings) byKind.set(String(f.event.kind), (byKind.get(String(f.event.kind)) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, n]) => `${n} ${kind === 'schedule' ? 'scheduled' : kind === 'alert' ? 'on alerts' : kind}`).join(', ');
  const count = (phase: Rollout['phase']) => rollouts.filter((r) => r.phase === phase).length;
  const canaried = rollouts.filter((r) => r.details.canaryStart !== undefined).length;
  return `${firings.length} retraining runs (${kinds || 'none'}); ${count('promoted')} promoted, ${count('rejected')} rejected, ` +
    `${count('rolled_back')} rolled back after a canary, ${canaried} canaries in all${count('canary') + count('evaluating') > 0 ? `, ${count('canary') + count('evaluating')} undecided at the end` : ''}.`;
}

function describeEvent(event: unknown): string {
  if (!event || typeof event !== 'object') return '';
  const e = event as Record<string, unknown>;
  if (e.kind === 'alert') return `: ${String(e.rule)} ${String(e.metric)} ${Number(e.value).toFixed(3)} in the week of ${String(e.windowStart).slice(0, 10)}`;
  if (e.kind === 'schedule') return ` at ${String(e.time).slice(0, 10)}`;
  return '';
}
