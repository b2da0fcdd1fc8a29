import { formatCount } from './format-number.js';
import { html } from './html.js';
import type { HtmlValue, SafeHtml } from './html.js';

/** One line of a feature's key numbers; `reference` only when the report compares two datasets. */
export interface NumberRow {
  label: string;
  current: string;
  reference?: string;
}

export interface ChartBlock {
  title: string;
  chart: SafeHtml;
  caption?: HtmlValue;
}

export interface FeatureSectionInput {
  /** Anchor of the section, linked from the feature table. */
  id: string;
  name: string;
  kind: string;
  /** The column's storage type, e.g. `BIGINT`. */
  type: string | null;
  /** Status shown next to the name (anomalies, drift verdict). */
  badges?: HtmlValue;
  /** Text across the whole section above the numbers, e.g. the feature's anomalies. */
  notes?: HtmlValue;
  numbers: readonly NumberRow[];
  /** More facts under the key numbers, e.g. a drift report's test results. */
  facts?: HtmlValue;
  withReference: boolean;
  charts: readonly ChartBlock[];
}

/** A collapsible section with a feature's key numbers beside its charts. */
export function featureSection(input: FeatureSectionInput): SafeHtml {
  const head = input.withReference ? html`<thead><tr><th></th><th>current</th><th>reference</th></tr></thead>` : '';
  const rows = input.numbers.map((row) => html`<tr><th scope="row">${row.label}</th><td>${row.current}</td>${input.withReference ? html`<td>${row.reference ?? '—'}</td>` : ''}</tr>`);
  const charts = input.charts.map((block) => html`<h4>${block.title}</h4>${block.chart}${block.caption === undefined ? '' : html`<p>${block.caption}</p>`}`);
  return html`<details class="feature" id="${input.id}" open>
<summary><h3>${input.name}</h3><span class="badge">${input.kind}</span>${input.type === null ? '' : html`<span class="type">${input.type}</span>`}${input.badges ?? ''}</summary>
<div class="feature-body">${input.notes ?? ''}<div class="facts"><table class="numbers">${head}<tbody>${rows}</tbody></table>${input.facts ?? ''}</div><div class="charts">${charts}</div></div>
</details>
`;
}

/** Charted features come first in a report; a note says how to see the others. */
export function sectionsIntro(charted: number, total: number): SafeHtml {
  if (charted === total) return html``;
  return html`<p class="muted">Charts are drawn for the first ${formatCount(charted)} of ${formatCount(total)} features in the order of the table above; every feature's numbers are in the table. Raise the <code>maxCharts</code> option to draw more.</p>`;
}
