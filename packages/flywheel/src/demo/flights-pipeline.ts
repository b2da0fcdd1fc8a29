import { z } from 'zod';
import { ingestComponent, sampleDataPath, schemaComponent, statisticsComponent, validateComponent } from '../data/index.js';
import { pushModelComponent } from '../deploy/push-model-component.js';
import { resolveBaselineComponent } from '../evaluate/baseline.js';
import { evaluateComponent } from '../evaluate/evaluate-component.js';
import { pipeline } from '../pipeline/pipeline.js';
import { trainGbdtComponent } from '../train/gbdt/train-gbdt-component.js';
import { trainLogisticComponent } from '../train/train-logistic-component.js';

/** The registered model the demo trains and promotes. */
export const FLIGHTS_MODEL = 'flights-delay';
export const FLIGHTS_LABEL = 'delayed';
export const FLIGHTS_NUMERIC = ['distance', 'hour', 'dow'];
export const FLIGHTS_CATEGORICAL = ['origin', 'destination'];

export const flightsParams = z.strictObject({
  /** The month (2001) to train on; the next month is the evaluation data. */
  month: z.number().int().min(1).max(5).default(1),
  /** Keep only the first N days of each month: a small slice for tests. */
  days: z.number().int().min(1).max(31).optional(),
  /** The flights file; the 3M-row file shipped with vega-datasets by default. */
  source: z.string().optional(),
  /** Gradient-boosted trees, or the simpler logistic regression. */
  trainer: z.enum(['gbdt', 'logistic']).default('gbdt'),
});

/** One month of flights with the label and the time features the model uses. */
export function monthQuery(month: number, days?: number): string {
  const dayFilter = days === undefined ? '' : ` AND day(date) <= ${days}`;
  return (
    `SELECT date, distance, origin, destination, hour(date) AS hour, dayofweek(date) AS dow, ` +
    `(delay > 15)::INTEGER AS ${FLIGHTS_LABEL} FROM source WHERE month(date) = ${month}${dayFilter}`
  );
}

/**
 * The continuous-training loop on real flights: ingest a month and the next one, profile and
 * validate, train (gradient-boosted trees by default), evaluate against the current champion on
 * the next month, register the model
 * and move `champion` only if it is better.
 */
export const flightsPipeline = pipeline(
  { name: 'flights-delay', description: 'predict flight delays (> 15 min) month by month', params: flightsParams },
  (p, { month, days, source, trainer }) => {
    const file = source ?? sampleDataPath('flights-3m.parquet');
    const train = p.step(ingestComponent, { name: 'ingest-train', params: { source: file, query: monthQuery(month, days) } });
    const next = p.step(ingestComponent, { name: 'ingest-eval', params: { source: file, query: monthQuery(month + 1, days) } });
    const stats = p.step(statisticsComponent, { name: 'statistics-train', inputs: { examples: train.outputs.examples } });
    const nextStats = p.step(statisticsComponent, { name: 'statistics-eval', inputs: { examples: next.outputs.examples } });
    const schema = p.step(schemaComponent, { inputs: { statistics: stats.outputs.statistics }, params: { labelColumn: FLIGHTS_LABEL } });
    const validation = p.step(validateComponent, {
      inputs: { statistics: nextStats.outputs.statistics, schema: schema.outputs.schema },
    });
    const features = { label: FLIGHTS_LABEL, numeric: FLIGHTS_NUMERIC, categorical: FLIGHTS_CATEGORICAL };
    const inputs = { examples: train.outputs.examples };
    const model = (
      trainer === 'gbdt'
        ? p.step(trainGbdtComponent, { name: 'train', inputs, params: { ...features, task: 'classification', seed: 2001 } })
        : p.step(trainLogisticComponent, { name: 'train', inputs, params: features })
    ).after(validation);
    // The champion is looked up on every run; the evaluation is reused while it stays the same model.
    const champion = p.step(resolveBaselineComponent, { name: 'champion', params: { model: FLIGHTS_MODEL, alias: 'champion' } });
    const evaluation = p.step(evaluateComponent, {
      inputs: { model: model.outputs.model, examples: next.outputs.examples, baseline: champion.outputs.baseline },
      params: {
        label: FLIGHTS_LABEL,
        // Reported in the Metrics artifact; the blessing stays "better AUC than the champion".
        slices: [{ column: 'origin', top: 10 }, { column: 'distance', buckets: 4 }, { column: 'hour', buckets: [6, 12, 18] }],
        fairness: [{ slice: 'origin', metric: 'auc' }],
      },
    });
    p.step(pushModelComponent, {
      name: 'push',
      inputs: { model: model.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing, schema: schema.outputs.schema },
      params: { model: FLIGHTS_MODEL },
    });
  },
);

export default flightsPipeline;
