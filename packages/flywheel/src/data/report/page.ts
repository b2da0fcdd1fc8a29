import { createHash } from 'node:crypto';
import { html, trustedHtml } from './html.js';
import type { HtmlValue, SafeHtml } from './html.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

// Only the page's own stylesheet and script may run and nothing may be fetched: even markup that
// slipped past escaping could neither execute nor reach the network.
const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src ${sha256(PAGE_STYLE)}; script-src ${sha256(PAGE_SCRIPT)}; img-src data:`;

export interface PageInput {
  title: string;
  /** What kind of report this is, shown in the top bar, e.g. `Data statistics`. */
  kind: string;
  subtitle: HtmlValue;
  body: HtmlValue;
}

/** The whole self-contained document: inline stylesheet, inline script, no external resource. */
export function renderPage(input: PageInput): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="generator" content="Flywheel">
<link rel="icon" href="data:,">
<title>${input.title} · Flywheel</title>
<style>${trustedHtml(PAGE_STYLE)}</style>
</head>
<body>
<header class="top"><strong>Flywheel</strong><span>${input.kind} report</span></header>
<main>
<h1>${input.title}</h1>
<p class="subtitle">${input.subtitle}</p>
${input.body}
</main>
<script>${trustedHtml(PAGE_SCRIPT)}</script>
</body>
</html>
`.value;
}

export interface Card {
  label: string;
  value: HtmlValue;
  detail?: HtmlValue;
  tone?: 'error' | 'warning' | 'ok';
}

/** The overview: one card per headline number. */
export function cards(items: readonly Card[]): SafeHtml {
  return html`<section class="cards">${items.map((item) => html`<div class="card${item.tone ? ` ${item.tone}` : ''}">
<div class="label">${item.label}</div><div class="number">${item.value}</div>${item.detail === undefined ? '' : html`<div class="detail">${item.detail}</div>`}</div>`)}</section>`;
}

export interface TableCell {
  content: HtmlValue;
  /** Sorts the column numerically; null sorts last. Without it a column sorts by its text. */
  sortValue?: number | null;
  className?: string;
}

export interface TableColumn<T> {
  header: string;
  numeric?: boolean;
  sortable?: boolean;
  cell: (row: T) => TableCell;
}

export interface DataTableInput<T> {
  rows: readonly T[];
  columns: readonly TableColumn<T>[];
  /** Lower-cased text the filter box matches. */
  searchText: (row: T) => string;
  searchPlaceholder: string;
  /** A select filter over one property of the rows. */
  group?: { label: string; options: readonly { value: string; label: string }[]; of: (row: T) => string };
  pageSize?: number;
  /** Shown instead of the table when there are no rows. */
  empty: string;
  /** Extra controls at the end of the toolbar. */
  actions?: HtmlValue;
}

/** A table every report uses: filterable, sortable and paged by the page script. */
export function dataTable<T>(input: DataTableInput<T>): SafeHtml {
  if (input.rows.length === 0) return html`<div class="panel"><p class="empty">${input.empty}</p></div>`;
  const group = input.group;
  const head = input.columns.map((column) =>
    html`<th${column.numeric ? html` class="num"` : ''}${column.sortable === false ? '' : html` data-sort`}>${column.header}</th>`);
  const body = input.rows.map((row) => {
    const cells = input.columns.map((column) => {
      const cell = column.cell(row);
      const className = [column.numeric ? 'num' : '', cell.className ?? ''].filter(Boolean).join(' ');
      return html`<td${className ? html` class="${className}"` : ''}${cell.sortValue === undefined ? '' : html` data-v="${cell.sortValue ?? ''}"`}>${cell.content}</td>`;
    });
    return html`<tr data-search="${input.searchText(row)}"${group ? html` data-group="${group.of(row)}"` : ''}>${cells}</tr>\n`;
  });
  const groupSelect = group
    ? html`<select data-group-filter hidden data-needs-script aria-label="${group.label}"><option value="">${group.label}: all</option>${group.options.map((option) => html`<option value="${option.value}">${option.label}</option>`)}</select>`
    : '';
  return html`<div class="panel" data-table-root>
<div class="toolbar"><input type="search" placeholder="${input.searchPlaceholder}" aria-label="${input.searchPlaceholder}" hidden data-needs-script>${groupSelect}<span class="spacer"></span>${input.actions ?? ''}</div>
<div class="scroll"><table data-table data-page-size="${input.pageSize ?? 50}"><thead><tr>${head}</tr></thead><tbody>
${body}</tbody></table></div>
<div class="pager" hidden><span></span><button type="button" data-page="previous">Previous</button><button type="button" data-page="next">Next</button></div>
</div>`;
}
