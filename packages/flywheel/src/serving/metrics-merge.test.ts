import { describe, expect, it } from 'vitest';
import { mergeExpositions } from './metrics-merge.js';
import { MetricsRegistry } from './metrics.js';

function exposition(requests: number, latency: number[]): string {
  const registry = new MetricsRegistry();
  const counter = registry.counter('flywheel_requests_total', 'Requests answered', ['code']);
  counter.labels('200').inc(requests);
  const histogram = registry.histogram('flywheel_request_duration_seconds', 'Latency', [], [0.01, 0.1]);
  for (const seconds of latency) histogram.labels().observe(seconds);
  registry.gauge('flywheel_prediction_log_queue_records', 'Queued records').labels().set(requests);
  return registry.expose();
}

describe('mergeExpositions', () => {
  it('labels every sample with its worker and keeps each family together under one HELP and TYPE', () => {
    const merged = mergeExpositions([
      { worker: '1', text: exposition(3, [0.005]) },
      { worker: '2', text: exposition(4, [0.05, 0.5]) },
    ]);
    expect(merged).toBe([
      '# HELP flywheel_requests_total Requests answered',
      '# TYPE flywheel_requests_total counter',
      'flywheel_requests_total{worker="1",code="200"} 3',
      'flywheel_requests_total{worker="2",code="200"} 4',
      '# HELP flywheel_request_duration_seconds Latency',
      '# TYPE flywheel_request_duration_seconds histogram',
      'flywheel_request_duration_seconds_bucket{worker="1",le="0.01"} 1',
      'flywheel_request_duration_seconds_bucket{worker="1",le="0.1"} 1',
      'flywheel_request_duration_seconds_bucket{worker="1",le="+Inf"} 1',
      'flywheel_request_duration_seconds_sum{worker="1"} 0.005',
      'flywheel_request_duration_seconds_count{worker="1"} 1',
      'flywheel_request_duration_seconds_bucket{worker="2",le="0.01"} 0',
      'flywheel_request_duration_seconds_bucket{worker="2",le="0.1"} 1',
      'flywheel_request_duration_seconds_bucket{worker="2",le="+Inf"} 2',
      'flywheel_request_duration_seconds_sum{worker="2"} 0.55',
      'flywheel_request_duration_seconds_count{worker="2"} 2',
      '# HELP flywheel_prediction_log_queue_records Queued records',
      '# TYPE flywheel_prediction_log_queue_records gauge',
      'flywheel_prediction_log_queue_records{worker="1"} 3',
      'flywheel_prediction_log_queue_records{worker="2"} 4',
      '',
    ].join('\n'));
  });

  it('keeps a family only one worker has, and escapes the worker name', () => {
    expect(mergeExpositions([{ worker: 'a"b', text: 'up 1\nx_total{k="v"} 2\n' }, { worker: '2', text: '' }])).toBe('up{worker="a\\"b"} 1\nx_total{worker="a\\"b",k="v"} 2\n');
  });
});
