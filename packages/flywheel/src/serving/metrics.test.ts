import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.js';

describe('metric series', () => {
  it('drops the series whose labels match, and only those', () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge('flywheel_test_gauge', 'A test gauge', ['model', 'version']);
    gauge.labels('flights', '1').set(1);
    gauge.labels('flights', '2').set(2);
    gauge.labels('cars', '1').set(3);
    gauge.remove({ model: 'flights' });
    expect(registry.expose()).toBe('# HELP flywheel_test_gauge A test gauge\n# TYPE flywheel_test_gauge gauge\nflywheel_test_gauge{model="cars",version="1"} 3\n');
    gauge.remove({ nope: 'x' });
    expect(registry.expose()).toContain('model="cars"');
  });
});
