import { LABEL_INPUT_TABLE } from './label-input.js';

/** Why a given label was not kept. */
export type LabelRejectionReason = 'invalid' | 'unknown' | 'duplicate';

/**
 * The table of checked labels, one line per given label: `ordinal` (input order), `prediction_id`,
 * `row` (INTEGER), `label` (DOUBLE), and `reason` and `detail`, both NULL for an accepted label.
 */
export const CHECKED_LABELS_TABLE = 'checked_labels';

const LARGEST_ROW = 2 ** 31 - 1;

/**
 * SQL that checks every line of LABEL_INPUT_TABLE and creates CHECKED_LABELS_TABLE. A label is
 * `invalid` when its prediction id is missing or empty, its row is no whole number from 0, or the
 * label is missing or no finite number; `unknown` when the prediction log (`log`, a table
 * expression; undefined when there is none) has no prediction with its id and row; `duplicate`
 * when the store (`store`) has a label for them, or an earlier line of the input does.
 *
 * Both lookups are semi-joins with the input, so DuckDB streams the log's two key columns past a
 * hash table of the input's keys and never holds the log.
 *
 * @example
 *   await db.run(checkLabelsSql(await predictionLogRelation(dir), await labelsRelation(home)));
 */
export function checkLabelsSql(log: string | undefined, store: string | undefined): string {
  const matching = (from: string | undefined) => from === undefined
    ? 'SELECT NULL::VARCHAR AS prediction_id, NULL::INTEGER AS "row" WHERE false'
    : `SELECT DISTINCT f.prediction_id, f."row" FROM (SELECT prediction_id, "row" FROM ${from}) f SEMI JOIN valid v ON v.prediction_id = f.prediction_id AND v."row" = f."row"`;
  return `CREATE TEMP TABLE ${CHECKED_LABELS_TABLE} AS
    WITH parsed AS (
      SELECT rowid AS ordinal, prediction_id, row_text, row_value, label_text, label,
        NULLIF(trim(prediction_id), '') IS NOT NULL AS id_ok,
        row_value IS NOT NULL AND row_value = floor(row_value) AND row_value BETWEEN 0 AND ${LARGEST_ROW} AS row_ok
      FROM ${LABEL_INPUT_TABLE}
    ), input AS (
      SELECT ordinal,
        CASE WHEN id_ok THEN prediction_id END AS prediction_id,
        CASE WHEN row_ok THEN CAST(row_value AS INTEGER) END AS "row",
        label,
        CASE
          WHEN NOT id_ok THEN 'the prediction id is missing'
          WHEN NOT row_ok THEN 'row ' || to_json(left(row_text, 40)) || ' is not a whole number from 0'
          WHEN label_text IS NULL THEN 'the label is missing'
          WHEN label IS NULL OR NOT isfinite(label) THEN 'label ' || to_json(left(label_text, 40)) || ' is not a number'
        END AS problem
      FROM parsed
    ), valid AS (
      SELECT * FROM input WHERE problem IS NULL
    ), known AS (${matching(log)}
    ), stored AS (${matching(store)}
    ), ranked AS (
      SELECT v.ordinal, k.prediction_id IS NOT NULL AS known, s.prediction_id IS NOT NULL AS stored,
        row_number() OVER (PARTITION BY v.prediction_id, v."row", k.prediction_id IS NOT NULL ORDER BY v.ordinal) AS occurrence
      FROM valid v
      LEFT JOIN known k ON k.prediction_id = v.prediction_id AND k."row" = v."row"
      LEFT JOIN stored s ON s.prediction_id = v.prediction_id AND s."row" = v."row"
    )
    SELECT i.ordinal, i.prediction_id, i."row", i.label,
      CASE
        WHEN i.problem IS NOT NULL THEN 'invalid'
        WHEN NOT r.known THEN 'unknown'
        WHEN r.stored OR r.occurrence > 1 THEN 'duplicate'
      END AS reason,
      CASE
        WHEN i.problem IS NOT NULL THEN i.problem
        WHEN NOT r.known THEN 'no prediction with this id and row in the prediction log'
        WHEN r.stored THEN 'labeled before'
        WHEN r.occurrence > 1 THEN 'repeated in this input'
      END AS detail
    FROM input i LEFT JOIN ranked r ON r.ordinal = i.ordinal`;
}
