import { FlywheelError } from '../core/errors.js';

/** The store refused the credentials, or they may not touch this bucket or key. */
export class ArtifactStoreAccessError extends FlywheelError {
  /** Where the store lives, e.g. `s3://bucket/prefix at http://127.0.0.1:9000`. */
  readonly location: string;
  constructor(location: string, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super('artifact_store_access_denied', `access to ${location} was denied: ${detail}`, options);
    this.location = location;
  }
}

/** The store did not answer: server down, wrong endpoint, DNS or network failure. */
export class ArtifactStoreUnreachableError extends FlywheelError {
  readonly location: string;
  constructor(location: string, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super('artifact_store_unreachable', `cannot reach ${location}: ${detail}`, options);
    this.location = location;
  }
}

/** The store answered with an error Flywheel has no more specific meaning for. */
export class ArtifactStoreError extends FlywheelError {
  readonly location: string;
  constructor(location: string, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super('artifact_store_failed', `${location}: ${detail}`, options);
    this.location = location;
  }
}
