/*
 * The stylesheet and script every report inlines. Series colours are defined once here, so the
 * histogram, the category bars, the missing-value bars and the legends always agree.
 */

export const PAGE_STYLE = `
:root { --text: #0f172a; --muted: #64748b; --line: #e2e8f0; --panel: #fff; --page: #f6f7f9;
  --current: #2563eb; --reference: #94a3b8; --error: #b91c1c; --error-bg: #fef2f2; --warning: #b45309;
  --warning-bg: #fffbeb; --ok: #15803d; --ok-bg: #f0fdf4; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.top { background: #0f172a; color: #e2e8f0; padding: 10px 32px; display: flex; gap: 12px; align-items: baseline; font-size: 13px; }
.top strong { color: #fff; letter-spacing: .02em; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 32px 0 12px; }
.subtitle { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .number { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .detail { color: var(--muted); font-size: 12px; }
.card.error .number { color: var(--error); } .card.warning .number { color: var(--warning); } .card.ok .number { color: var(--ok); }
.verdict { border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; font-weight: 600; border: 1px solid; }
.verdict.error { color: var(--error); background: var(--error-bg); border-color: #fecaca; }
.verdict.warning { color: var(--warning); background: var(--warning-bg); border-color: #fde68a; }
.verdict.ok { color: var(--ok); background: var(--ok-bg); border-color: #bbf7d0; }
.verdict span { font-weight: 400; color: var(--text); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 10px 12px; border-bottom: 1px solid var(--line); }
.toolbar input, .toolbar select, .toolbar button, .pager button { font: inherit; font-size: 13px; padding: 4px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; color: var(--text); }
.toolbar input { min-width: 220px; }
.toolbar .spacer { flex: 1; }
.section-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.section-head h2 { margin-right: auto; }
.section-head button { font: inherit; font-size: 13px; padding: 4px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; color: var(--text); }
.toolbar .note, .pager span { color: var(--muted); font-size: 12px; }
button { cursor: pointer; } button:disabled { cursor: default; opacity: .45; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f8fafc; white-space: nowrap; position: sticky; top: 0; }
th[data-sort] { cursor: pointer; user-select: none; }
th[data-sort]::after { content: " ↕"; color: #cbd5e1; }
th[aria-sort=ascending]::after { content: " ↑"; color: var(--text); }
th[aria-sort=descending]::after { content: " ↓"; color: var(--text); }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:hover { background: #f8fafc; }
td.name { font-weight: 600; overflow-wrap: anywhere; min-width: 140px; max-width: 340px; }
td.name a { color: var(--current); text-decoration: none; } td.name a:hover { text-decoration: underline; }
td.text { overflow-wrap: anywhere; max-width: 480px; }
td.nowrap { white-space: nowrap; }
.examples code { background: #f1f5f9; border-radius: 4px; padding: 0 4px; margin-right: 4px; font-size: 12px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
td .muted { font-size: 12px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 999px; white-space: nowrap; background: #f1f5f9; color: #334155; }
.badge.error { background: var(--error-bg); color: var(--error); } .badge.warning { background: var(--warning-bg); color: var(--warning); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.pager { display: flex; gap: 8px; align-items: center; justify-content: flex-end; padding: 8px 12px; }
.feature { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin: 0 0 12px; }
.feature > summary { list-style: none; cursor: pointer; padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.feature > summary::-webkit-details-marker { display: none; }
.feature > summary::before { content: "▸"; color: var(--muted); width: 10px; }
.feature[open] > summary::before { content: "▾"; }
.feature[open] > summary { border-bottom: 1px solid var(--line); }
.feature h3 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
.type { color: var(--muted); font-size: 12px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.feature-body { display: grid; grid-template-columns: minmax(300px, 460px) minmax(0, 1fr); gap: 8px 24px; padding: 12px 16px 16px; }
@media (max-width: 760px) { .feature-body { grid-template-columns: minmax(0, 1fr); } main { padding: 16px; } }
.facts { display: grid; gap: 14px; align-content: start; min-width: 0; overflow-x: auto; }
.numbers { width: 100%; }
.numbers td, .numbers th { padding: 3px 8px; font-size: 13px; border-bottom: 1px solid #f1f5f9; position: static; background: none; }
.numbers th { color: var(--muted); font-weight: 400; white-space: normal; }
.numbers td { text-align: right; overflow-wrap: anywhere; }
.numbers thead th { font-weight: 600; text-align: right; }
.numbers thead th:first-child { text-align: left; }
.charts { display: grid; gap: 6px; align-content: start; }
.charts h4 { margin: 6px 0 0; font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.charts p { margin: 0; color: var(--muted); font-size: 12px; }
.checks .met { color: var(--error); font-weight: 600; }
.numbers.tests td { white-space: nowrap; }
.anomaly-list { margin: 0 0 4px; padding: 0; list-style: none; grid-column: 1 / -1; }
.anomaly-list li { margin: 2px 0; }
.chart { width: 100%; max-width: 560px; height: auto; display: block; overflow: visible; }
.chart text { font-size: 11px; fill: #475569; }
.chart .legend { fill: #334155; }
.chart .axis-title { fill: var(--muted); font-size: 10px; }
.chart .category { fill: #1e293b; }
.chart .value.reference { fill: var(--muted); }
.chart .flagged .category { fill: var(--warning); }
.chart .grid { stroke: #eef2f6; } .chart .axis { stroke: #94a3b8; }
.chart .series-reference { fill: var(--reference); fill-opacity: .3; stroke: none; }
.chart .reference-outline { fill: none; stroke: #334155; stroke-width: 1.6; stroke-linejoin: round; }
.chart .series-current { fill: var(--current); }
.chart .bar-current { fill: var(--current); fill-opacity: .6; stroke: #fff; stroke-width: .8; }
.chart rect.series-current, .chart rect.series-reference { stroke: none; fill-opacity: .85; }
.chart rect.swatch-outline { stroke: #334155; stroke-width: 1.4; fill-opacity: .3; }
.chart .track { fill: #f1f5f9; }
.chart .limit { stroke: var(--error); stroke-width: 1.5; stroke-dasharray: 4 3; }
.chart .outside { fill: #fee2e2; fill-opacity: .6; }
.chart .hover { fill: transparent; } .chart .hover:hover { fill: rgba(15, 23, 42, .06); }
.series-0 { --series: #2563eb; } .series-1 { --series: #ea580c; } .series-2 { --series: #0d9488; } .series-3 { --series: #7c3aed; }
.series-4 { --series: #db2777; } .series-5 { --series: #65a30d; } .series-6 { --series: #92400e; } .series-7 { --series: #0891b2; }
.series-8 { --series: #a16207; } .series-9 { --series: #4338ca; } .series-10 { --series: #9f1239; } .series-11 { --series: #475569; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; background: var(--series); margin-right: 5px; }
.chart.wide { max-width: none; }
.chart .series .line { fill: none; stroke: var(--series); stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.chart .series .point { fill: var(--series); stroke: #fff; stroke-width: 1.2; }
.chart .series .point:hover { stroke: var(--text); stroke-width: 2; }
.chart .marker line { stroke-width: 1.6; }
.chart .marker text { font-size: 10.5px; font-weight: 600; }
.chart .marker .hit { stroke: transparent; stroke-width: 9; }
.chart .marker-promotion line { stroke: var(--ok); } .chart .marker-promotion text { fill: var(--ok); }
.chart .marker-rejection line { stroke: var(--error); stroke-dasharray: 5 3; } .chart .marker-rejection text { fill: var(--error); }
.chart .marker-canary line { stroke: var(--warning); stroke-dasharray: 1.5 3; } .chart .marker-canary text { fill: var(--warning); }
.chart .guide line { stroke: var(--error); stroke-width: 1.2; stroke-dasharray: 6 4; } .chart .guide text { fill: var(--error); font-size: 10px; }
.chart-panel { padding: 12px 16px; }
.chart-panel + .chart-panel { margin-top: 12px; }
.note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
.error-text { color: var(--error); }
.chart-title { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 6px; }
.summary { margin: -8px 0 20px; padding-left: 20px; }
.heatmap { width: auto; border-collapse: separate; border-spacing: 0; }
.heatmap th, .heatmap td { border-bottom: 1px solid #fff; }
.heatmap thead th { position: static; background: #fff; }
.heatmap thead th.window { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 400; padding: 6px 0; height: 86px; text-align: left; }
.heatmap thead th.version { padding: 2px 4px 6px; text-align: center; font-weight: 600; }
.heatmap th.row-head { position: sticky; left: 0; z-index: 1; background: #fff; color: var(--text); font-size: 13px; font-weight: 600; text-align: left; padding: 3px 12px 3px 0; max-width: 220px; overflow-wrap: anywhere; white-space: normal; }
.heatmap td.cell { min-width: 42px; padding: 3px 4px; text-align: center; font-size: 11px; border-right: 1px solid #fff; white-space: nowrap; }
.heatmap .switch { border-left: 2px solid var(--text); }
/* A rotated header draws its left border on the right: the rule goes on the side that ends up left. */
.heatmap th.window.switch { border-left: 0; border-right: 2px solid var(--text); }
.heatmap tr.share td { font-weight: 600; color: var(--text); border-top: 1px solid var(--line); }
.heatmap .mark { font-size: 9px; margin-left: 1px; }
.heat-0 { background: #f1f5f9; color: #64748b; } .heat-1 { background: #fef9c3; } .heat-2 { background: #fde68a; }
.heat-3 { background: #fdba74; } .heat-4 { background: #f87171; } .heat-5 { background: #b91c1c; color: #fff; }
.heat-none { background: #fff; color: #cbd5e1; }
.heat-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin: 10px 0 0; font-size: 12px; color: var(--muted); }
.heat-legend span.cell { display: inline-block; width: 22px; height: 12px; border-radius: 2px; vertical-align: middle; margin-right: 4px; }
dl.lineage { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 8px 24px; margin: 0; padding: 14px 16px; }
dl.lineage dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; padding-top: 2px; }
dl.lineage dd { margin: 0; overflow-wrap: anywhere; }
dl.lineage code { background: #f1f5f9; border-radius: 4px; padding: 0 4px; font-size: 12px; }
dl.lineage dd > div + div { margin-top: 2px; }
.empty { color: var(--muted); padding: 16px; margin: 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@media print { .toolbar, .pager { display: none; } body { background: #fff; } .feature { break-inside: avoid; } }
`;

/*
 * Tables marked data-table get paging, sorting by a header click, a text filter (over each row's
 * data-search) and a group filter (data-group), all over rows already in the page, so a report
 * reads fully without script and a 10,000-row table shows one page at a time with it.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  function setupTable(root) {
    var table = root.querySelector('table[data-table]');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var search = root.querySelector('input[type=search]');
    var group = root.querySelector('select[data-group-filter]');
    var pager = root.querySelector('.pager');
    var status = pager.querySelector('span');
    var previous = pager.querySelector('[data-page=previous]');
    var next = pager.querySelector('[data-page=next]');
    var pageSize = Number(table.getAttribute('data-page-size')) || 50;
    var order = rows;
    var page = 0;
    var visible = rows;
    function update() {
      var text = search ? search.value.trim().toLowerCase() : '';
      var wanted = group ? group.value : '';
      visible = order.filter(function (row) {
        return (!text || (row.getAttribute('data-search') || '').indexOf(text) >= 0)
          && (!wanted || row.getAttribute('data-group') === wanted);
      });
      var pages = Math.max(1, Math.ceil(visible.length / pageSize));
      page = Math.min(page, pages - 1);
      var shown = new Set(visible.slice(page * pageSize, (page + 1) * pageSize));
      for (var i = 0; i < order.length; i++) order[i].hidden = !shown.has(order[i]);
      var first = visible.length ? page * pageSize + 1 : 0;
      status.textContent = first + '–' + Math.min(visible.length, (page + 1) * pageSize) + ' of ' + visible.length.toLocaleString('en-US');
      previous.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    function value(row, column) {
      var cell = row.cells[column];
      var v = cell ? cell.getAttribute('data-v') : null;
      return v === null ? (cell ? cell.textContent : '') : v === '' ? null : Number(v);
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      if (!header.hasAttribute('data-sort')) return;
      header.tabIndex = 0;
      function sort() {
        var ascending = header.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var keyed = rows.map(function (row, index) { return { row: row, key: value(row, column), index: index }; });
        keyed.sort(function (a, b) {
          if (a.key === null || b.key === null) return a.key === b.key ? a.index - b.index : a.key === null ? 1 : -1;
          var c = typeof a.key === 'number' ? a.key - b.key : String(a.key).localeCompare(String(b.key));
          return (ascending ? c : -c) || a.index - b.index;
        });
        order = keyed.map(function (k) { return k.row; });
        var fragment = document.createDocumentFragment();
        order.forEach(function (row) { fragment.appendChild(row); });
        body.appendChild(fragment);
        page = 0;
        update();
      }
      header.addEventListener('click', sort);
      header.addEventListener('keydown', function (event) { if (event.key === 'Enter') sort(); });
    });
    if (search) search.addEventListener('input', function () { page = 0; update(); });
    if (group) group.addEventListener('change', function () { page = 0; update(); });
    previous.addEventListener('click', function () { page -= 1; update(); });
    next.addEventListener('click', function () { page += 1; update(); });
    pager.hidden = false;
    root.querySelectorAll('[data-needs-script]').forEach(function (element) { element.hidden = false; });
    update();
  }
  document.querySelectorAll('[data-table-root]').forEach(setupTable);
  document.querySelectorAll('button[data-details]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var open = button.getAttribute('data-details') === 'open';
      document.querySelectorAll('details.feature').forEach(function (details) { details.open = open; });
    });
  });
  function openTarget() {
    var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target && target.tagName === 'DETAILS') target.open = true;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();
`;
