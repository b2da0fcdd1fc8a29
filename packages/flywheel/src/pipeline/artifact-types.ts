/**
 * Nominal artifact types. `ArtifactType<'Dataset'>` and `ArtifactType<'Model'>` are different
 * types, so wiring a Model output into a Dataset input fails to compile; the compiled IR records the
 * same names so a run checks them again.
 */
export interface ArtifactType<Name extends string = string> {
  readonly kind: 'artifact-type';
  readonly name: Name;
  /** A single file, or a directory of files. */
  readonly layout: 'file' | 'directory';
  /** File name the component sees, e.g. `data.parquet`. */
  readonly fileName: string;
}

export function defineArtifactType<Name extends string>(
  name: Name,
  options: { layout?: 'file' | 'directory'; fileName: string },
): ArtifactType<Name> {
  return Object.freeze({ kind: 'artifact-type', name, layout: options.layout ?? 'file', fileName: options.fileName });
}

/** Tabular examples, stored as Parquet. */
export const Dataset = defineArtifactType('Dataset', { fileName: 'data.parquet' });
/** Rows ingest could not read, each with its file, line, column and reason (Parquet). */
export const Rejects = defineArtifactType('Rejects', { fileName: 'rejects.parquet' });
/** Per-feature statistics of a dataset (JSON). */
export const Statistics = defineArtifactType('Statistics', { fileName: 'statistics.json' });
/** Expected columns, types, presence and domains (JSON). */
export const Schema = defineArtifactType('Schema', { fileName: 'schema.json' });
/** Problems found by validating data against a schema (JSON). */
export const Anomalies = defineArtifactType('Anomalies', { fileName: 'anomalies.json' });
/** A trained model in ONNX. */
export const Model = defineArtifactType('Model', { fileName: 'model.onnx' });
/** Evaluation metrics (JSON). */
export const Metrics = defineArtifactType('Metrics', { fileName: 'metrics.json' });
/** The verdict of model validation: blessed or not, and why (JSON). */
export const Blessing = defineArtifactType('Blessing', { fileName: 'blessing.json' });
/** Any file. */
export const File = defineArtifactType('File', { fileName: 'file' });
/** Any directory. */
export const Directory = defineArtifactType('Directory', { layout: 'directory', fileName: 'dir' });

export const BUILT_IN_ARTIFACT_TYPES = [Dataset, Rejects, Statistics, Schema, Anomalies, Model, Metrics, Blessing, File, Directory];
