import { FlywheelError } from '../core/errors.js';

/** One file (or object) as a lister saw it. */
export interface ListedFile {
  /** How events name it: an absolute path, or `s3://bucket/key`. */
  path: string;
  size: number;
  mtimeMs: number;
  /** What tells two versions apart when size and time match, when the place knows it: an S3 object's ETag. */
  version?: string;
}

/**
 * Where a data-arrival trigger looks: the files matching its pattern right now. A folder and an
 * S3 prefix are two listers under the same debounce logic (`dataArrivalSource`).
 *
 * @example
 *   const files = await folderFileLister('/data/incoming/*.parquet').list();
 */
export interface FileLister {
  /**
   * The matching files in path order. Rejects with a WatchedPlaceMissingError when the folder or
   * bucket is gone, with another error when it cannot be listed; the message names the place.
   */
  list(): Promise<ListedFile[]>;
  /** Lets go of what listing holds (an S3 client's connections); optional. */
  close?(): void;
}

/** The folder or bucket a data trigger watches does not exist (now); the trigger watches on. */
export class WatchedPlaceMissingError extends FlywheelError {
  /** The folder, or `s3://bucket`. */
  readonly place: string;
  constructor(place: string, message: string) {
    super('watched_place_missing', message);
    this.place = place;
  }
}

/** The place a data trigger watches exists perhaps, but listing it failed (refused, unreachable). */
export class WatchedPlaceUnreadableError extends FlywheelError {
  readonly place: string;
  constructor(place: string, message: string, cause?: unknown) {
    super('watched_place_unreadable', message, { cause });
    this.place = place;
  }
}

/**
 * A file-name glob as a RegExp: `*` is any run of characters and `?` one character, neither
 * matching `/`; everything else is literal.
 *
 * @example
 *   fileNameMatcher('day-?.csv').test('day-1.csv'); // true
 */
export function fileNameMatcher(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}
