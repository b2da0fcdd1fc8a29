import type { JsonObject, JsonValue } from '../core/json.js';
import { formatCount, formatNumber } from '../data/report/format-number.js';
import { html } from '../data/report/html.js';
import type { HtmlValue, SafeHtml } from '../data/report/html.js';
import { dataTable } from '../data/report/page.js';
import type { TableColumn } from '../data/report/page.js';
import type { Alert, Firing, FiringStatus, Rollout, RolloutPhase } from '../metadata/control-store.js';
import type { AliasMove } from '../registry/model.js';
import { exactNumber, jsonText, utcTime, windowLabel } from './loop-report-format.js';
import type { VersionColours } from './loop-report-format.js';
import type { VersionLineage } from './prediction-lineage.js';

/*
 * What the loop did and where the champion came from: one timeline of firings, alerts, rollout
 * steps and alias moves, and the champion's lineage from model file back to the trigger.
 */

type EntryKind = 'alert' | 'run' | 'rollout' | 'alias';

/** Kinds in causal order: at the same moment an alert comes before the run it fires, a rollout before its alias move. */
const KIND_ORDER: Record<EntryKind, number> = { alert: 0, run: 1, rollout: 2, alias: 3 };
const KIND_LABELS: Record<EntryKind, string> = { alert: 'alert', run: 'retraining run', rollout: 'rollout', alias: 'alias move' };

interface TimelineEntry {
  at: Date;
  kind: EntryKind;
  version: number | null;
  what: SafeHtml;
  outcome: SafeHtml;
  search: string;
}

const FIRING_TONES: Record<FiringStatus, string> = { pending: '', running: '', complete: 'ok', failed: 'error', canceled: 'warning' };
const PHASE_TONES: Record<RolloutPhase, string> = { evaluating: '', canary: 'warning', promoted: 'ok', rejected: 'error', rolled_back: 'error' };

function badge(text: string, tone = ''): SafeHtml {
  return html`<span class="badge${tone ? ` ${tone}` : ''}">${text}</span>`;
}

function phaseText(phase: RolloutPhase): string {
  return phase.replace('_', ' ');
}

/** An ISO time in an event as the page writes times; any other value as it is. */
function factText(value: JsonValue): string {
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value) && !Number.isNaN(Date.parse(value))) return `${utcTime(new Date(value))} UTC`;
  return jsonText(value);
}

/** The facts of a trigger's event (its time, file, alert…) as `key value · key value`. */
function eventFacts(event: JsonObject): string {
  return Object.entries(event).filter(([key]) => key !== 'kind').map(([key, value]) => `${key} ${factText(value)}`).join(' · ');
}

/** What kind of event fired a trigger (`schedule`, `data`, `alert`…), from the event's `kind`. */
export function eventKind(event: JsonObject): string {
  return typeof event.kind === 'string' && event.kind !== '' ? event.kind : 'unknown';
}

/** When a rollout's canary started: recorded in its details by the rollout manager. */
export function canaryStart(rollout: Rollout): Date | null {
  const start = rollout.details.canaryStart;
  if (typeof start === 'string' && !Number.isNaN(Date.parse(start))) return new Date(start);
  return rollout.phase === 'canary' ? rollout.updatedAt : null;
}

/** The offline comparison a rollout's evaluation recorded, as a sentence; null when it holds none. */
function evaluationText(rollout: Rollout): string | null {
  const evaluation = rollout.details.evaluation;
  if (!evaluation || typeof evaluation !== 'object' || Array.isArray(evaluation)) return null;
  const { metric, challenger, champion, rows, window } = evaluation;
  if (typeof metric !== 'string') return null;
  const start = window && typeof window === 'object' && !Array.isArray(window) && typeof window.start === 'string' ? ` on the window of ${window.start.slice(0, 10)}` : '';
  const counted = typeof rows === 'number' ? ` (${formatCount(rows)} rows)` : '';
  const value = (v: JsonValue | undefined) => (typeof v === 'number' ? exactNumber(v) : 'undefined');
  return `offline ${metric}${start}${counted}: challenger ${value(challenger)}, champion ${value(champion)}`;
}

function firingEntry(firing: Firing): TimelineEntry {
  const kind = eventKind(firing.event);
  const facts = eventFacts(firing.event);
  return {
    at: firing.createdAt,
    kind: 'run',
    version: null,
    what: html`trigger <strong>${firing.trigger}</strong> fired on ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} event → run <code>${firing.runId}</code>${facts ? html`<div class="muted">${facts}</div>` : ''}${firing.error ? html`<div class="error-text">${firing.error}</div>` : ''}`,
    outcome: badge(firing.status, FIRING_TONES[firing.status]),
    search: `${firing.trigger} ${kind} ${firing.runId} ${facts} ${firing.error ?? ''}`,
  };
}

function alertEntry(alert: Alert, windowMs: number): TimelineEntry {
  const window = `${windowLabel(alert.windowStart, windowMs)} to ${windowLabel(alert.windowEnd, windowMs)}`;
  return {
    at: alert.createdAt,
    kind: 'alert',
    version: alert.version,
    what: html`rule <strong>${alert.rule}</strong>: ${alert.metric} ${exactNumber(alert.value)} against threshold ${exactNumber(alert.threshold)}<div class="muted">window ${window}</div>`,
    outcome: badge('raised', 'warning'),
    search: `${alert.rule} ${alert.metric}`,
  };
}

function rolloutEntries(rollout: Rollout): TimelineEntry[] {
  const version = rollout.challengerVersion;
  const open = rollout.phase === 'evaluating' || rollout.phase === 'canary';
  const search = `rollout ${rollout.id} v${version} ${rollout.reason}`;
  const against = rollout.championVersion === null ? 'with no champion to beat' : `against champion v${rollout.championVersion}`;
  const entries: TimelineEntry[] = [{
    at: rollout.createdAt,
    kind: 'rollout',
    version,
    what: html`rollout ${rollout.id}: v${version} evaluated ${against}${rollout.runId ? html`, from run <code>${rollout.runId}</code>` : ''}`,
    outcome: rollout.phase === 'evaluating' ? badge('evaluating') : badge('started'),
    search,
  }];
  const canary = canaryStart(rollout);
  const evaluation = evaluationText(rollout);
  if (canary) {
    const why = rollout.phase === 'canary' ? rollout.reason : evaluation;
    entries.push({
      at: canary,
      kind: 'rollout',
      version,
      what: html`rollout ${rollout.id}: v${version} serves canary traffic${why ? html`<div class="muted">${why}</div>` : ''}`,
      outcome: badge('canary', 'warning'),
      search,
    });
  }
  if (!open) {
    const offline = evaluation && canary ? html`<div class="muted">${evaluation}</div>` : '';
    entries.push({
      at: rollout.updatedAt,
      kind: 'rollout',
      version,
      what: html`rollout ${rollout.id}: v${version} ${phaseText(rollout.phase)}<div class="muted">${rollout.reason}</div>${offline}`,
      outcome: badge(phaseText(rollout.phase), PHASE_TONES[rollout.phase]),
      search,
    });
  }
  return entries;
}

/** `champion v2 → v3`, `champion set to v1`, `staging removed (was v4)`. */
export function aliasMoveText(move: AliasMove): string {
  if (move.toVersion === null) return `${move.alias} removed (was v${move.fromVersion ?? '?'})`;
  if (move.fromVersion === null) return `${move.alias} set to v${move.toVersion}`;
  return `${move.alias} v${move.fromVersion} → v${move.toVersion}`;
}

function aliasEntry(move: AliasMove): TimelineEntry {
  return {
    at: move.at,
    kind: 'alias',
    version: move.toVersion,
    what: html`<strong>${aliasMoveText(move)}</strong><div class="muted">by ${move.actor}: ${move.reason}</div>`,
    outcome: move.alias === 'champion' ? badge('champion', 'ok') : badge(move.alias),
    search: `${move.alias} ${move.actor} ${move.reason}`,
  };
}

export interface TimelineInput {
  firings: readonly Firing[];
  alerts: readonly Alert[];
  rollouts: readonly Rollout[];
  aliasMoves: readonly AliasMove[];
  windowMs: number;
  colours: VersionColours;
}

/** Firings, alerts, rollout steps and alias moves in one table, oldest first. */
export function timelineSection(input: TimelineInput): SafeHtml {
  const entries = [
    ...input.alerts.map((alert) => alertEntry(alert, input.windowMs)),
    ...input.firings.map(firingEntry),
    ...input.rollouts.flatMap(rolloutEntries),
    ...input.aliasMoves.map(aliasEntry),
  ].sort((a, b) => a.at.getTime() - b.at.getTime() || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const columns: TableColumn<TimelineEntry>[] = [
    { header: 'Time (UTC)', cell: (entry) => ({ content: utcTime(entry.at), sortValue: entry.at.getTime(), className: 'nowrap' }) },
    { header: 'Kind', cell: (entry) => ({ content: badge(KIND_LABELS[entry.kind]), sortValue: KIND_ORDER[entry.kind] }) },
    { header: 'Version', cell: (entry) => ({ content: entry.version === null ? '' : input.colours.label(entry.version), sortValue: entry.version, className: 'nowrap' }) },
    { header: 'What happened', sortable: false, cell: (entry) => ({ content: entry.what, className: 'text' }) },
    { header: 'Outcome', cell: (entry) => ({ content: entry.outcome }) },
  ];
  const kinds = (Object.keys(KIND_ORDER) as EntryKind[]).filter((kind) => entries.some((entry) => entry.kind === kind));
  return dataTable({
    rows: entries,
    columns,
    searchText: (entry) => entry.search.toLowerCase(),
    searchPlaceholder: 'Filter by trigger, rule, run or reason',
    group: { label: 'Kind', options: kinds.map((kind) => ({ value: kind, label: KIND_LABELS[kind] })), of: (entry) => entry.kind },
    pageSize: 100,
    empty: 'Nothing happened yet: no trigger fired, no alert was raised, no challenger was rolled out and no alias moved.',
  });
}

function item(term: string, ...lines: HtmlValue[]): SafeHtml {
  return html`<dt>${term}</dt><dd>${lines.filter((line) => line !== '' && line !== null).map((line) => html`<div>${line}</div>`)}</dd>`;
}

/** The champion's lineage, from its model file back to the trigger and event that started its training. */
export function lineageSection(champion: VersionLineage | null): SafeHtml {
  if (!champion) return html`<div class="panel"><p class="empty">No champion: no version holds the champion alias yet, so there is no lineage to show.</p></div>`;
  const { version, run, execution, aliasMoves } = champion;
  const metrics = Object.entries(version.metrics);
  const data = version.trainingData;
  const items: SafeHtml[] = [
    item('Model version', html`<strong>${version.modelName} v${version.version}</strong>, registered ${utcTime(version.createdAt)} UTC`, version.description ?? ''),
    item('Model file', html`<code>${version.uri}</code>`, html`sha256 <code>${version.digest}</code>`),
  ];
  if (metrics.length > 0) items.push(item('Offline metrics', metrics.map(([name, value], i) => html`${i > 0 ? ' · ' : ''}${name} ${formatNumber(value)}`)));
  items.push(item(
    'Alias moves',
    ...(aliasMoves.length > 0
      ? aliasMoves.map((move) => html`${aliasMoveText(move)} at ${utcTime(move.at)} UTC by ${move.actor}: ${move.reason}`)
      : ['no alias move recorded']),
  ));
  items.push(item('Tracked run', version.runId ? html`<code>${version.runId}</code>` : 'not recorded'));
  items.push(item('Training step', execution ? html`execution ${execution.id}${execution.name ? html` <strong>${execution.name}</strong>` : ''} (${execution.type})` : 'none recorded'));
  items.push(item('Training data', ...(data
    ? [html`<code>${data.uri}</code>`, html`sha256 <code>${data.digest}</code>${data.artifactId === null ? '' : `, artifact ${data.artifactId}`}`]
    : ['not recorded'])));
  if (!run) {
    items.push(item('Pipeline run', 'none: the version was registered outside a pipeline run'));
    return html`<div class="panel"><dl class="lineage">${items}</dl></div>`;
  }
  const started = run.startedAt && !Number.isNaN(Date.parse(run.startedAt)) ? `, started ${utcTime(new Date(run.startedAt))} UTC` : '';
  items.push(item('Pipeline run', html`${run.pipeline ? html`<strong>${run.pipeline}</strong> ` : ''}run <code>${run.runId}</code> (${run.status ?? 'status unknown'}${started})`));
  items.push(item('Pipeline version', run.pipelineVersion ? html`IR sha256 <code>${run.pipelineVersion}</code>` : 'not recorded', run.pipelineFile ? html`from <code>${run.pipelineFile}</code>` : ''));
  items.push(item('Parameters', html`<code>${jsonText(run.params)}</code>`));
  items.push(item('Code version', run.codeVersion
    ? html`git <code>${run.codeVersion.commit}</code>${run.codeVersion.dirty ? html` <span class="badge warning">uncommitted changes</span>` : ' (clean)'}`
    : 'not in a git work tree'));
  if (run.trigger) {
    const { kind, name, event } = run.trigger;
    items.push(item('Trigger', html`<strong>${jsonText(name) || 'unnamed'}</strong> (${jsonText(kind) || 'unknown'} trigger)`));
    const rest = Object.fromEntries(Object.entries(run.trigger).filter(([key]) => !['kind', 'name', 'event'].includes(key)));
    if (event && typeof event === 'object' && !Array.isArray(event)) items.push(item('Event', html`${eventKind(event)} event: ${eventFacts(event)}`));
    else if (event !== undefined) items.push(item('Event', jsonText(event)));
    if (Object.keys(rest).length > 0) items.push(item('Trigger details', jsonText(rest)));
  } else {
    items.push(item('Trigger', 'none: the run was started by hand'));
  }
  return html`<div class="panel"><dl class="lineage">${items}</dl></div>`;
}
