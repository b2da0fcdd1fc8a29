import type { PredictionLineage, VersionLineage } from '../../monitoring/prediction-lineage.js';

function describeVersion(lineage: VersionLineage): string[] {
  const { version, run, execution, aliasMoves } = lineage;
  const lines = [`model     ${version.modelName} v${version.version} (${version.digest.slice(0, 12)}, registered ${version.createdAt.toISOString()})`];
  for (const move of aliasMoves) {
    lines.push(`  alias   ${move.alias} → v${move.toVersion} at ${move.at.toISOString()} by ${move.actor}${move.fromVersion === null ? '' : ` (from v${move.fromVersion})`}: ${move.reason}`);
  }
  if (version.runId) lines.push(`tracked   run ${version.runId}`);
  if (execution) lines.push(`step      execution ${execution.id} ${execution.name ?? ''} (${execution.type})`);
  const data = version.trainingData;
  lines.push(`data      ${data ? `${data.uri} (sha256 ${data.digest.slice(0, 12)}${data.artifactId === null ? '' : `, artifact ${data.artifactId}`})` : 'not recorded'}`);
  if (!run) {
    lines.push('pipeline  none recorded (registered outside a pipeline run)');
    return lines;
  }
  lines.push(`pipeline  ${run.pipeline ?? '?'} run ${run.runId} (${run.status ?? '?'}, started ${run.startedAt ?? '?'}), version ${run.pipelineVersion?.slice(0, 12) ?? '?'}, params ${JSON.stringify(run.params)}`);
  lines.push(`code      ${run.codeVersion ? `git ${run.codeVersion.commit.slice(0, 12)}${run.codeVersion.dirty ? ' with uncommitted changes' : ''}` : 'not in a git work tree'}${run.pipelineFile ? ` — ${run.pipelineFile}` : ''}`);
  lines.push(`trigger   ${run.trigger ? describeTrigger(run.trigger) : 'started by hand'}`);
  return lines;
}

function describeTrigger(trigger: Record<string, unknown>): string {
  const { kind, name, event, ...rest } = trigger;
  const parts = [`${String(kind ?? 'trigger')} ${String(name ?? '')}`.trim()];
  if (event !== undefined) parts.push(`event ${JSON.stringify(event)}`);
  if (Object.keys(rest).length > 0) parts.push(JSON.stringify(rest));
  return parts.join(', ');
}

/** A prediction's lineage as the terminal shows it, one fact per line. */
export function describePredictionLineage(lineage: PredictionLineage): string {
  const lines = [`prediction ${lineage.predictionId}`];
  for (const a of lineage.answers) {
    lines.push(`  ${a.arm === 'shadow' ? 'mirrored to' : 'answered by'} ${a.model} v${a.version} (${a.arm}) at ${a.timestamp.toISOString()} via ${a.endpoint}, ${a.rows} row${a.rows === 1 ? '' : 's'}`);
  }
  for (const version of lineage.versions) lines.push('', ...describeVersion(version));
  return `${lines.join('\n')}\n`;
}
