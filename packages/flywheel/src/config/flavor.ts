import type { z } from 'zod';

/** Where a backend lives on disk by default: both absolute. */
export interface FlavorContext {
  projectDir: string;
  /** `.flywheel/` under the project unless configured otherwise. */
  home: string;
}

/**
 * A named backend of one kind (`sqlite` metadata, `s3` artifacts, `local` executor). A flavor
 * describes its options (validated with zod), may accept a URI shorthand
 * (`postgresql://…`, `s3://bucket/prefix`), and creates its backend lazily, so heavy SDKs load
 * only when used. Adding a flavor = one folder + one line in config/flavors.ts.
 */
export interface Flavor<Options extends { flavor: string }, Instance> {
  readonly name: Options['flavor'];
  readonly description: string;
  /** Schema of the options object, including `flavor: '<name>'`. */
  readonly options: z.ZodType<Options>;
  /** URI schemes this flavor accepts as shorthand, without the colon: `['postgres', 'postgresql']`. */
  readonly schemes: readonly string[];
  /** Turns a shorthand URI into an options object (validated afterwards). */
  fromUri(uri: string): Record<string, unknown>;
  create(options: Options, context: FlavorContext): Promise<Instance>;
}
