import { FlywheelError } from '../core/errors.js';
import type { Anomaly } from './anomalies-format.js';

/**
 * Data broke its schema badly enough to stop the pipeline before training. `anomalies` holds the
 * ones that triggered the stop (the errors, or with `failOn: 'warning'` the warnings too).
 */
export class DataValidationError extends FlywheelError {
  readonly anomalies: readonly Anomaly[];

  constructor(anomalies: readonly Anomaly[]) {
    const errors = anomalies.filter((a) => a.severity === 'error').length;
    const warnings = anomalies.length - errors;
    const counts = [errors && `${errors} error${errors === 1 ? '' : 's'}`, warnings && `${warnings} warning${warnings === 1 ? '' : 's'}`]
      .filter(Boolean).join(' and ');
    const lines = anomalies.map((a) => `  ${a.severity} ${a.code}${a.feature === null ? '' : ` in ${JSON.stringify(a.feature)}`}: ${a.description}`);
    super('data_validation_failed', `data validation failed with ${counts}:\n${lines.join('\n')}`, {
      hint: 'fix the data; if the change is intended, edit the schema (see docs/data.md) or relax the step\'s failOn',
    });
    this.anomalies = anomalies;
  }
}
