import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { ingestLabels } from '../monitoring/label-store.js';
import type { JsonRoute } from '../serving/prediction-server.js';
import { fieldPath } from '../core/field-path.js';

const labelsBody = z.strictObject({
  labels: z.array(z.strictObject({ prediction_id: z.string(), row: z.number().optional(), label: z.unknown() })).max(1_000_000),
});

/**
 * `POST /labels` with `{ "labels": [{ "prediction_id": "…", "row": 0, "label": 1 }, …] }`: delayed
 * ground truth for logged predictions. Answers what `flywheel monitor labels` prints, as JSON:
 * accepted, and rejected by reason (unknown prediction id, duplicate, invalid label).
 *
 * @example
 *   curl -s localhost:8080/labels -d '{"labels":[{"prediction_id":"0c6f…","label":1}]}'
 */
export function labelsRoute(home: string, clock: () => number): JsonRoute {
  return {
    method: 'POST',
    path: '/labels',
    endpoint: 'labels',
    async handle(body) {
      const parsed = labelsBody.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InvalidInputError(fieldPath(issue.path, 'body'), issue.message);
      }
      const result = await ingestLabels({
        home, now: clock,
        rows: parsed.data.labels.map((l) => ({ predictionId: l.prediction_id, ...(l.row === undefined ? {} : { row: l.row }), label: l.label })),
      });
      return { status: 200, body: { accepted: result.accepted, rejected: result.rejected, examples: result.examples } };
    },
  };
}
