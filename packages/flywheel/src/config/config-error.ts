import { FlywheelError } from '../core/errors.js';

/** A configuration value is wrong; names the key and where it came from (file or env var). */
export class ConfigError extends FlywheelError {
  readonly key: string;
  readonly source: string;
  constructor(key: string, source: string, problem: string, hint?: string) {
    super('invalid_config', `config error at ${key} (${source}): ${problem}`, { hint });
    this.key = key;
    this.source = source;
  }
}
