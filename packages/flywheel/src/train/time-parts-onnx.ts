import type { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr } from '../onnx/onnx-model.js';
import { timePartName, type TimeFeature, type TimePart } from './time-parts.js';

/** A derived time part in the graph: which part, and the float [N,1] value holding it. */
export interface TimePartValue {
  part: TimePart;
  value: string;
}

const BATCH = 'N';
const SECONDS_PER_DAY = 86_400;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const EPOCH_DAY_SHIFT = 719_468;
/** 1970-01-01 was a Thursday, day 4 when Sunday is 0. */
const EPOCH_DAY_OF_WEEK = 4;
/** ONNX TensorProto.DataType FLOAT, for Cast. */
const FLOAT = 1;

/**
 * Adds the nodes that derive UTC parts from timestamp inputs (float64 [N,1], seconds since the
 * Unix epoch) and returns the derived parts, feature by feature, each a float [N,1] value named
 * by `timePartName`. The arithmetic runs on float64 with whole numbers only — `Floor` of the
 * seconds first, then floor divisions of whole numbers by constants — so it is exact for any
 * time DuckDB holds and agrees with DuckDB's `hour`, `dayofweek` and `month`. A missing time
 * (NaN) gives NaN parts.
 *
 * ```
 * s = floor(t); days = floor(s / 86400)
 * hour      = floor((s − 86400·days) / 3600)
 * dayOfWeek = (days + 4) mod 7                         Sunday = 0
 * month     = days → civil date (H. Hinnant's civil_from_days), its month 1…12
 * ```
 *
 * @example
 *   addTimeParts(g, [{ name: 'date', parts: ['hour', 'month'] }]);
 *   // [{ part: 'hour', value: 'date.hour' }, { part: 'month', value: 'date.month' }]
 */
export function addTimeParts(g: OnnxGraphBuilder, features: readonly TimeFeature[]): TimePartValue[] {
  const math = new WholeNumberMath(g);
  return features.flatMap((feature) => {
    const at = (step: string) => `time:${feature.name}:${step}`;
    const seconds = math.unary('Floor', feature.name, at('seconds'));
    const days = math.floorDivide(seconds, SECONDS_PER_DAY, at('days'));
    const derive: Record<TimePart, () => string> = {
      hour: () => {
        const secondOfDay = math.binary('Sub', seconds, math.binary('Mul', days, math.constant(SECONDS_PER_DAY), at('day_start')), at('second_of_day'));
        return math.floorDivide(secondOfDay, 3_600, at('hour'));
      },
      dayOfWeek: () => math.modulo(math.binary('Add', days, math.constant(EPOCH_DAY_OF_WEEK), at('days_from_sunday')), 7, at('day_of_week')),
      month: () => civilMonth(math, days, at),
    };
    return feature.parts.map((part) => {
      const value = timePartName(feature.name, part);
      g.node('Cast', [derive[part]()], [value], { to: attr.int(FLOAT) });
      g.describe(value, 'float', [BATCH, 1]);
      return { part, value };
    });
  });
}

/**
 * The month (1…12) of a day count since 1970-01-01, by Howard Hinnant's `civil_from_days`
 * (https://howardhinnant.github.io/date_algorithms.html): years are counted from March 1 in
 * 400-year eras, so the leap day is the last day of its year and months need no table.
 */
function civilMonth(math: WholeNumberMath, days: string, at: (step: string) => string): string {
  const z = math.binary('Add', days, math.constant(EPOCH_DAY_SHIFT), at('civil_z'));
  const era = math.floorDivide(z, 146_097, at('era'));
  // Day of the era, 0…146096.
  const doe = math.binary('Sub', z, math.binary('Mul', era, math.constant(146_097), at('era_start')), at('day_of_era'));
  // Year of the era, 0…399: (doe − doe/1460 + doe/36524 − doe/146096) / 365.
  const leapDays = math.binary(
    'Sub',
    math.binary('Add', math.binary('Sub', doe, math.floorDivide(doe, 1_460, at('q4')), at('less_q4')), math.floorDivide(doe, 36_524, at('q100')), at('plus_q100')),
    math.floorDivide(doe, 146_096, at('q400')),
    at('less_q400'),
  );
  const yoe = math.floorDivide(leapDays, 365, at('year_of_era'));
  // Day of the year starting March 1, 0…365: doe − (365·yoe + yoe/4 − yoe/100).
  const yearStart = math.binary(
    'Sub',
    math.binary('Add', math.binary('Mul', yoe, math.constant(365), at('yoe_days')), math.floorDivide(yoe, 4, at('yoe_q4')), at('yoe_plus_q4')),
    math.floorDivide(yoe, 100, at('yoe_q100')),
    at('year_start'),
  );
  const doy = math.binary('Sub', doe, yearStart, at('day_of_year'));
  // Month counted from March, 0…11: (5·doy + 2) / 153.
  const fromMarch = math.floorDivide(
    math.binary('Add', math.binary('Mul', doy, math.constant(5), at('doy_5')), math.constant(2), at('doy_5_2')),
    153,
    at('month_from_march'),
  );
  // March (0) → 3 … December (9) → 12, January (10) → 1, February (11) → 2.
  const shifted = math.modulo(math.binary('Add', fromMarch, math.constant(2), at('month_shift')), 12, at('month_0'));
  return math.binary('Add', shifted, math.constant(1), at('month'));
}

/**
 * Float64 arithmetic on whole numbers, as graph nodes: constants are shared initializers, and
 * floor division is `Floor(Div(x, d))`, exact for whole |x| < 2^53 since a quotient that is
 * not whole lies at least 1/d from the next whole number — far more than its rounding error.
 */
class WholeNumberMath {
  private readonly constants = new Map<number, string>();

  constructor(private readonly g: OnnxGraphBuilder) {}

  constant(value: number): string {
    let name = this.constants.get(value);
    if (name === undefined) {
      name = this.g.initializer({ name: `time:const:${value}`, type: 'double', dims: [1], data: Float64Array.of(value) });
      this.constants.set(value, name);
    }
    return name;
  }

  unary(op: 'Floor', x: string, out: string): string {
    this.g.node(op, [x], [out]);
    this.g.describe(out, 'double', [BATCH, 1]);
    return out;
  }

  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: string, b: string, out: string): string {
    this.g.node(op, [a, b], [out]);
    this.g.describe(out, 'double', [BATCH, 1]);
    return out;
  }

  /** `floor(x / d)`. */
  floorDivide(x: string, d: number, out: string): string {
    return this.unary('Floor', this.binary('Div', x, this.constant(d), `${out}:quotient`), out);
  }

  /** `x mod d` in 0…d−1, also for negative x (ONNX `Mod` on floats is C's `fmod`, which is not). */
  modulo(x: string, d: number, out: string): string {
    const times = this.binary('Mul', this.floorDivide(x, d, `${out}:floor`), this.constant(d), `${out}:multiple`);
    return this.binary('Sub', x, times, out);
  }
}
