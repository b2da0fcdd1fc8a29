/** Options of one backend after validation by its flavor, e.g. `{ flavor: 'sqlite', path: '…' }`. */
export interface BackendOptions {
  readonly flavor: string;
  readonly [key: string]: unknown;
}

/** A project's configuration after defaults, env overrides and validation. */
export interface FlywheelConfig {
  /** Flywheel's working folder, absolute. */
  readonly home: string;
  readonly metadata: BackendOptions;
  readonly artifacts: BackendOptions;
  readonly executor: BackendOptions;
}
