import { z } from 'zod';
import { ingestComponent, sampleDataPath, schemaComponent, statisticsComponent } from '../data/index.js';
import { driftProfileComponent } from '../data/drift/drift-component.js';
import { pushModelComponent } from '../deploy/push-model-component.js';
import { evaluateComponent } from '../evaluate/evaluate-component.js';
import { pipeline } from '../pipeline/pipeline.js';
import { trainGbdtComponent } from '../train/gbdt/train-gbdt-component.js';
import { trainLogisticComponent } from '../train/train-logistic-component.js';
import { FLIGHTS_CATEGORICAL, FLIGHTS_LABEL, FLIGHTS_MODEL, FLIGHTS_NUMERIC } from './flights-pipeline.js';

const DAY_MS = 86_400_000;

export const retrainParams = z.strictObject({
  /** Train on the flights before this time (ISO 8601): a trigger passes its event's time, `${time}`. */
  until: z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'expected an ISO 8601 time'),
  /** Days of flights before `until` to learn from; the last `evalDays` of them are held out to evaluate. */
  days: z.number().int().min(2).max(181).default(28),
  evalDays: z.number().int().min(1).max(30).default(7),
  /** Share of the flights kept (by a hash of each flight, so the same ones every run): smaller, quicker runs. */
  sample: z.number().gt(0).max(1).default(1),
  trainer: z.enum(['gbdt', 'logistic']).default('gbdt'),
  /** The flights file; the 3M-row file shipped with vega-datasets by default. */
  source: z.string().optional(),
  model: z.string().min(1).default(FLIGHTS_MODEL),
});

/** Flights in [from, to) with the label and the time features, sampled by a stable hash. */
export function rangeQuery(from: Date, to: Date, sample: number): string {
  const sampled = sample >= 1 ? '' : ` AND hash(date, origin, destination) % 10000 < ${Math.round(sample * 10000)}`;
  return (
    `SELECT date, distance, origin, destination, hour(date) AS hour, dayofweek(date) AS dow, (delay > 15)::INTEGER AS ${FLIGHTS_LABEL} ` +
    `FROM source WHERE date >= TIMESTAMP '${from.toISOString().slice(0, 19)}' AND date < TIMESTAMP '${to.toISOString().slice(0, 19)}'${sampled}`
  );
}

/**
 * Retraining as the continuous-training loop runs it: the flights of the weeks before `until`,
 * profiled (the drift profile is what monitoring compares live inputs with), trained, evaluated on
 * the held-out last days against fixed bounds, and registered under the alias `challenger` when
 * the bounds hold. The controller then judges the challenger against the champion on live,
 * labeled traffic and rolls it out or not.
 */
export const retrainPipeline = pipeline(
  { name: 'flights-retrain', description: 'retrain the flight-delay model on the weeks before a time', params: retrainParams },
  (p, { until, days, evalDays, sample, trainer, source, model }) => {
    const file = source ?? sampleDataPath('flights-3m.parquet');
    const end = new Date(Date.parse(until));
    const split = new Date(end.getTime() - evalDays * DAY_MS);
    const start = new Date(end.getTime() - days * DAY_MS);
    const train = p.step(ingestComponent, { name: 'ingest-train', params: { source: file, query: rangeQuery(start, split, sample) } });
    const held = p.step(ingestComponent, { name: 'ingest-eval', params: { source: file, query: rangeQuery(split, end, sample) } });
    const stats = p.step(statisticsComponent, { name: 'statistics-train', inputs: { examples: train.outputs.examples } });
    const schema = p.step(schemaComponent, { inputs: { statistics: stats.outputs.statistics }, params: { labelColumn: FLIGHTS_LABEL } });
    p.step(driftProfileComponent, { name: 'drift-profile', inputs: { examples: train.outputs.examples } });
    const features = { label: FLIGHTS_LABEL, numeric: FLIGHTS_NUMERIC, categorical: FLIGHTS_CATEGORICAL };
    const inputs = { examples: train.outputs.examples };
    const trained = trainer === 'gbdt'
      ? p.step(trainGbdtComponent, { name: 'train', inputs, params: { ...features, task: 'classification', seed: 2001 } })
      : p.step(trainLogisticComponent, { name: 'train', inputs, params: features });
    const evaluation = p.step(evaluateComponent, {
      inputs: { model: trained.outputs.model, examples: held.outputs.examples },
      params: { label: FLIGHTS_LABEL, thresholds: { auc: { min: 0.55 } }, change: {} },
    });
    p.step(pushModelComponent, {
      name: 'push',
      inputs: { model: trained.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing, schema: schema.outputs.schema },
      params: { model, alias: 'challenger' },
    });
  },
);

export default retrainPipeline;
