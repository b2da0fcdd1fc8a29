export type * from './model.js';
export {
  DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, LIMITS, RUN_STATUSES, TAG_PARENT_RUN_ID, TAG_RUN_NAME, TAG_SOURCE_NAME,
  TAG_SOURCE_TYPE, TAG_USER,
} from './model.js';
export type { TrackingStore } from './tracking-store.js';
export {
  FilterSyntaxError, InvalidParameterValueError, InvalidStateError, ResourceAlreadyExistsError, ResourceDoesNotExistError,
} from './errors.js';
export type { TrackingErrorCode } from './errors.js';
export { EXPERIMENT_SEARCH, RUN_SEARCH, parseFilter, parseOrderBy } from './filter-parser.js';
export type { Comparator, Comparison, FilterEntity, OrderBy, SearchSchema } from './filter-parser.js';
export { Tracker, compileTrackerOptions } from './tracker.js';
export type { CompiledTrackerOptions, StartRunOptions, TrackerOptions } from './tracker.js';
export { TrackedRun } from './tracked-run.js';
export type { MetricOptions, ParamValue } from './tracked-run.js';
export { TRACKING_FILE_ENV, TrackingFileError, ingestTrackingFile } from './tracking-file.js';
export type { IngestedCounts } from './tracking-file.js';
export { paramsFromJson } from './params-from-json.js';
