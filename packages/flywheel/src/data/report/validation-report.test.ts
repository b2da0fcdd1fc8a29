import { describe, expect, it } from 'vitest';
import { ANOMALIES_FORMAT } from '../anomalies-format.js';
import type { Anomaly, AnomalyReport } from '../anomalies-format.js';
import { SCHEMA_FORMAT } from '../schema-format.js';
import type { DataSchema } from '../schema-format.js';
import { categoricalColumn, numericColumn, statisticsOf } from './test-support.js';
import { renderValidationReport } from './validation-report.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

function anomalies(list: Anomaly[]): AnomalyReport {
  return {
    format: ANOMALIES_FORMAT,
    environment: 'training',
    rowCount: 100,
    summary: { errors: list.filter((a) => a.severity === 'error').length, warnings: list.filter((a) => a.severity === 'warning').length, featuresChecked: 3 },
    anomalies: list,
  };
}

const unseen: Anomaly = {
  severity: 'error', code: 'unseen_category', feature: 'origin',
  description: '20% of values are outside the domain, e.g. "<script>alert(1)</script>"', examples: ['<script>alert(1)</script>'], share: 0.2,
};
const outOfRange: Anomaly = {
  severity: 'warning', code: 'out_of_range', feature: 'delay',
  description: 'the minimum is -20, outside the expected range [-10, 30]', examples: [-20], share: 0.05,
};
const statistics = statisticsOf(100, [
  numericColumn('distance', [10, 40, 40, 10], 0, 2000),
  numericColumn('delay', [50, 30, 15, 5], -20, 30),
  categoricalColumn('origin', [['ORD', 50], ['DFW', 30], ['<script>alert(1)</script>', 20]]),
]);
const schema: DataSchema = {
  format: SCHEMA_FORMAT,
  features: [
    { name: 'distance', type: 'float', presence: { required: true, minFraction: 1 }, range: { min: 0, max: 2000 } },
    { name: 'delay', type: 'float', presence: { required: true, minFraction: 1 }, range: { min: -10, max: 30 } },
    { name: 'origin', type: 'string', presence: { required: false, minFraction: 0.9 }, domain: ['DFW', 'ORD'] },
  ],
};

describe('renderValidationReport', () => {
  it('states the verdict by the most severe anomaly', () => {
    expect(renderValidationReport({ anomalies: anomalies([unseen, outOfRange]) })).toContain('<div class="verdict error">Failed: 1 error and 1 warning.');
    expect(renderValidationReport({ anomalies: anomalies([outOfRange]) })).toContain('<div class="verdict warning">Passed with 1 warning.');
    const clean = renderValidationReport({ anomalies: anomalies([]) });
    expect(clean).toContain('<div class="verdict ok">Passed.');
    expect(clean).toContain('No anomalies: every check passed.');
  });

  it('lists anomalies with severity, code, feature, description, examples and share, escaped', () => {
    const page = renderValidationReport({ anomalies: anomalies([unseen, outOfRange, { ...outOfRange, severity: 'error', code: 'empty_dataset', feature: null, description: 'the data has no rows', examples: [], share: null }]) });
    expect(count(page, /<tr data-search=/g)).toBe(3);
    expect(page).toContain('<span class="badge error">error</span>');
    expect(page).toContain('<span class="type">unseen_category</span>');
    expect(page).toContain('<span class="muted">(dataset)</span>');
    expect(page).toContain('<code>−20</code>');
    expect(page).toContain('>20%</td>');
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>');
    expect(page).not.toContain('<details');
  });

  it('with statistics and schema, charts features with anomalies first and draws the expectations', () => {
    const page = renderValidationReport({ anomalies: anomalies([unseen, outOfRange]), statistics, schema });
    const order = [...page.matchAll(/<details class="feature" id="[^"]+" open>\n<summary><h3>([^<]+)<\/h3>/g)].map((m) => m[1]);
    expect(order).toEqual(['origin', 'delay', 'distance']);
    expect(page).toContain('<a href="#feature-0">origin</a>');
    expect(page).toContain('Schema: float · required · range [−10, 30]');
    expect(page).toContain('Schema: string · present in at least 90% of rows · 2 allowed values');
    expect(count(page, /<g class="flagged">/g)).toBe(1);
    expect(count(page, /<title>expected (minimum|maximum) /g)).toBe(4);
    expect(page).toContain('<span class="badge ok">ok</span>');
  });

  it('says which features the schema does not mention', () => {
    const page = renderValidationReport({ anomalies: anomalies([]), statistics, schema: { ...schema, features: schema.features.slice(0, 2) } });
    expect(page).toContain('<li class="muted">Not in the schema.</li>');
  });
});
