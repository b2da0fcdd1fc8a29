/**
 * Prometheus metrics and their text exposition (format 0.0.4), kept small on purpose: counters,
 * gauges and histograms with labels are all the prediction service records, and a child per
 * label set is cached so that recording on the request path is a map lookup and an addition.
 */

type LabelValues = readonly string[];

const KEY_SEPARATOR = '\u0001';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatLabels(names: readonly string[], values: LabelValues, extra?: [string, string]): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

abstract class Metric<Child> {
  protected readonly children = new Map<string, { values: LabelValues; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of one label set, created on first use. */
  labels(...values: string[]): Child {
    const key = values.join(KEY_SEPARATOR);
    const found = this.children.get(key);
    if (found) return found.child;
    if (values.length !== this.labelNames.length) {
      throw new TypeError(`metric ${this.name} takes labels ${this.labelNames.join(', ')}; got ${values.length} values`);
    }
    const child = this.create();
    this.children.set(key, { values: [...values], child });
    return child;
  }

  /** Drops the series whose labels have these values, e.g. `{ model: 'flights' }`, so that stale ones stop being exposed. */
  remove(match: Readonly<Record<string, string>>): void {
    const at = Object.entries(match).map(([name, value]) => [this.labelNames.indexOf(name), value] as const);
    for (const [key, { values }] of this.children) {
      if (at.every(([i, value]) => i >= 0 && values[i] === value)) this.children.delete(key);
    }
  }

  protected abstract create(): Child;
  abstract expose(): string;

  protected header(type: string): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${this.name} ${type}\n`;
  }
}

export interface CounterSeries {
  inc(amount?: number): void;
  readonly value: number;
}

export class Counter extends Metric<CounterSeries> {
  protected create(): CounterSeries {
    let value = 0;
    return {
      inc(amount = 1) {
        value += amount;
      },
      get value() {
        return value;
      },
    };
  }

  expose(): string {
    let out = this.header('counter');
    for (const { values, child } of this.children.values()) out += `${this.name}${formatLabels(this.labelNames, values)} ${formatValue(child.value)}\n`;
    return out;
  }
}

export interface GaugeSeries {
  set(value: number): void;
  inc(amount?: number): void;
  readonly value: number;
}

export class Gauge extends Metric<GaugeSeries> {
  protected create(): GaugeSeries {
    let value = 0;
    return {
      set(v) {
        value = v;
      },
      inc(amount = 1) {
        value += amount;
      },
      get value() {
        return value;
      },
    };
  }

  /** Drops every series, e.g. before re-setting the set of served versions. */
  reset(): void {
    this.children.clear();
  }

  expose(): string {
    let out = this.header('gauge');
    for (const { values, child } of this.children.values()) out += `${this.name}${formatLabels(this.labelNames, values)} ${formatValue(child.value)}\n`;
    return out;
  }
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface HistogramState extends HistogramSeries {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramSeries> {
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
  }

  protected create(): HistogramState {
    const buckets = this.buckets;
    const state: HistogramState = {
      counts: new Float64Array(buckets.length),
      sum: 0,
      count: 0,
      observe(value) {
        state.sum += value;
        state.count++;
        for (let i = 0; i < buckets.length; i++) {
          if (value <= (buckets[i] as number)) {
            (state.counts[i] as number)++;
            return;
          }
        }
      },
    };
    return state;
  }

  expose(): string {
    let out = this.header('histogram');
    for (const { values, child } of this.children.values()) {
      const state = child as HistogramState;
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += state.counts[i] as number;
        out += `${this.name}_bucket${formatLabels(this.labelNames, values, ['le', formatValue(bound)])} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${formatLabels(this.labelNames, values, ['le', '+Inf'])} ${state.count}\n`;
      out += `${this.name}_sum${formatLabels(this.labelNames, values)} ${formatValue(state.sum)}\n`;
      out += `${this.name}_count${formatLabels(this.labelNames, values)} ${state.count}\n`;
    }
    return out;
  }
}

/**
 * A set of metrics exposed together on `/metrics`.
 *
 * @example
 *   const registry = new MetricsRegistry();
 *   const requests = registry.counter('flywheel_requests_total', 'Requests answered', ['code']);
 *   requests.labels('200').inc();
 *   registry.expose(); // "# HELP flywheel_requests_total …"
 */
export class MetricsRegistry {
  private readonly metrics: Metric<unknown>[] = [];
  private readonly collectors: (() => void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Runs `collect` before each exposition, to refresh gauges read from elsewhere. */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  /** The text exposition of every metric. */
  expose(): string {
    for (const collect of this.collectors) collect();
    return this.metrics.map((m) => m.expose()).join('');
  }

  private add<M extends Metric<unknown>>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new TypeError(`metric ${metric.name} is registered twice`);
    this.metrics.push(metric);
    return metric;
  }
}

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
