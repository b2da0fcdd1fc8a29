import type { LoopStatus } from './loop.js';

/** `flywheel status` for the terminal. */
export function describeStatus(status: LoopStatus): string {
  const lines: string[] = [];
  const c = status.controller;
  if (!c) lines.push('controller  never started in this project (`flywheel up`)');
  else if (c.running) lines.push(`controller  running, pid ${c.pid}, since ${c.startedAt}${c.url ? `, at ${c.url}` : ''}; its clock ${c.clock}; ${c.activeRuns} run(s) active`);
  else lines.push(`controller  not running (last heartbeat ${c.heartbeatAt})`);
  for (const [trigger, problem] of Object.entries(c?.problems ?? {})) lines.push(`  problem   trigger ${trigger}: ${problem}`);
  lines.push('');
  lines.push('serving');
  if (status.serving.length === 0) lines.push('  no registered models');
  for (const s of status.serving) {
    const aliases = Object.entries(s.aliases).map(([alias, version]) => `${alias} → v${version}`).join(', ');
    lines.push(`  ${s.model}: ${aliases || 'no aliases'}`);
  }
  lines.push('', 'rollouts');
  if (status.rollouts.length === 0) lines.push('  none');
  for (const r of status.rollouts) {
    lines.push(`  #${r.id} ${r.model} v${r.challengerVersion}${r.championVersion === null ? '' : ` vs v${r.championVersion}`}: ${r.phase} (${r.updatedAt.toISOString()}) — ${r.reason}`);
  }
  lines.push('', 'recent triggers');
  if (status.firings.length === 0) lines.push('  none fired');
  for (const f of status.firings) {
    lines.push(`  ${f.createdAt.toISOString()} ${f.trigger} (${String(f.event.kind)}) → run ${f.runId}: ${f.status}${f.error ? ` — ${f.error}` : ''}`);
  }
  lines.push('', 'recent alerts');
  if (status.alerts.length === 0) lines.push('  none');
  for (const a of status.alerts) {
    lines.push(`  ${a.windowStart.toISOString().slice(0, 16)}Z ${a.rule}: ${a.model}${a.version === null ? '' : ` v${a.version}`} ${a.metric} ${a.value.toFixed(4)} (threshold ${a.threshold})`);
  }
  if (c && c.notes.length > 0) {
    lines.push('', 'controller notes (newest last)');
    for (const n of c.notes.slice(-10)) lines.push(`  ${n.at} ${n.text}`);
  }
  return `${lines.join('\n')}\n`;
}
