import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { epochSeconds } from './timestamp-values.js';

describe('epochSeconds', () => {
  it('reads ISO 8601 dates and date-times as UTC unless an offset is named; numbers and null pass through', () => {
    expect(epochSeconds('2001-01-05 08:30', 'f')).toBe(978683400);
    expect(epochSeconds('2001-01-05T08:30:00Z', 'f')).toBe(978683400);
    expect(epochSeconds('2001-01-05T10:30:00+02:00', 'f')).toBe(978683400);
    expect(epochSeconds('2001-01-05T08:30:00.250', 'f')).toBe(978683400.25);
    expect(epochSeconds('1969-12-31 23:00:00', 'f')).toBe(-3600);
    expect(epochSeconds('2000-02-29', 'f')).toBe(951782400);
    expect(epochSeconds(978683400, 'f')).toBe(978683400);
    expect(epochSeconds(null, 'f')).toBeNull();
  });

  it('names the field of text that is no timestamp', () => {
    for (const bad of ['yesterday', '2001-13-01', '2001-02-30', '2001-01-05 25:00', '05/01/2001']) {
      expect(() => epochSeconds(bad, 'instances[3].date'), bad).toThrow(InvalidInputError);
      expect(() => epochSeconds(bad, 'instances[3].date'), bad).toThrow(/^instances\[3\]\.date: /);
    }
  });
});
