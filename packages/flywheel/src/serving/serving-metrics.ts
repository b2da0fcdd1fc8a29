import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/**
 * The metrics of one prediction server. Names follow Prometheus conventions (`_total` counters,
 * `_seconds` durations); `model` and `version` label every series about a model version.
 */
export class ServingMetrics {
  readonly registry = new MetricsRegistry();

  /** Every answered request, by endpoint, model version and HTTP status. */
  readonly requests: Counter = this.registry.counter(
    'flywheel_requests_total', 'HTTP requests answered, by endpoint, model, version and status code', ['endpoint', 'model', 'version', 'code'],
  );
  readonly latency: Histogram = this.registry.histogram(
    'flywheel_request_duration_seconds', 'Time from request to response, by endpoint, model and version', ['endpoint', 'model', 'version'], LATENCY_BUCKETS,
  );
  readonly batchSize: Histogram = this.registry.histogram(
    'flywheel_inference_batch_rows', 'Rows per onnxruntime run (micro-batching joins concurrent requests)', ['model', 'version'], BATCH_BUCKETS,
  );
  readonly batchRequests: Histogram = this.registry.histogram(
    'flywheel_inference_batch_requests', 'Requests joined into one onnxruntime run', ['model', 'version'], BATCH_BUCKETS,
  );
  readonly servedVersion: Gauge = this.registry.gauge(
    'flywheel_model_version_info', 'Version currently served for each model and ref (1 per served pair)', ['model', 'ref', 'version'],
  );
  readonly swaps: Counter = this.registry.counter('flywheel_model_swaps_total', 'Hot swaps after an alias moved', ['model', 'ref']);
  readonly swapFailures: Counter = this.registry.counter(
    'flywheel_model_swap_failures_total', 'Failed attempts to load a version an alias moved to (the previous version keeps serving)', ['model', 'ref'],
  );
  readonly canary: Counter = this.registry.counter('flywheel_canary_requests_total', 'Requests routed by a canary split, by arm', ['model', 'arm', 'version']);
  readonly shadow: Counter = this.registry.counter(
    'flywheel_shadow_requests_total', 'Requests mirrored to a shadow version, by outcome (ok, error, skipped)', ['model', 'version', 'outcome'],
  );
  readonly shadowDisagreements: Counter = this.registry.counter(
    'flywheel_shadow_disagreements_total', 'Mirrored rows whose shadow label differs from the answer given (classifiers)', ['model', 'version'],
  );
  readonly logQueueDepth: Gauge = this.registry.gauge('flywheel_prediction_log_queue_records', 'Prediction log records waiting to be written');
  readonly logWritten: Counter = this.registry.counter('flywheel_prediction_log_written_total', 'Prediction log records written');
  readonly logPendingBatches: Gauge = this.registry.gauge(
    'flywheel_prediction_log_pending_batches',
    'Prediction log batches written but not yet readable (the Parquet writer is behind)',
  );
  readonly logDropped: Counter = this.registry.counter(
    'flywheel_prediction_log_dropped_total', 'Prediction log records dropped, by reason (queue_full, write_failed)', ['reason'],
  );
  readonly memory: Gauge = this.registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes');
  readonly heap: Gauge = this.registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes');
  readonly cpu: Counter = this.registry.counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds');
  readonly startTime: Gauge = this.registry.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds');

  constructor() {
    this.startTime.labels().set(Math.round(Date.now() / 1000 - process.uptime()));
    let lastCpuSeconds = 0;
    this.registry.onCollect(() => {
      const usage = process.memoryUsage();
      this.memory.labels().set(usage.rss);
      this.heap.labels().set(usage.heapUsed);
      const cpu = process.cpuUsage();
      const seconds = (cpu.user + cpu.system) / 1e6;
      this.cpu.labels().inc(seconds - lastCpuSeconds);
      lastCpuSeconds = seconds;
    });
  }

  expose(): string {
    return this.registry.expose();
  }
}
