import type { Counter, Gauge, MetricsRegistry } from '../serving/metrics.js';
import type { ModelMonitoring } from '../monitoring/monitor-model.js';

/**
 * The controller's monitoring on `/metrics`: each version's newest labeled live metrics and its
 * newest input drift share, and alerts raised by rule.
 */
export class MonitorGauges {
  private readonly live: Gauge;
  private readonly drift: Gauge;
  private readonly alerts: Counter;

  constructor(registry: MetricsRegistry) {
    this.live = registry.gauge('flywheel_monitor_live_metric', 'A live metric of the newest window with labels, by model version', ['model', 'version', 'metric']);
    this.drift = registry.gauge('flywheel_monitor_input_drift_share', 'Share of inputs drifted from the training data in the newest window compared', ['model', 'version']);
    this.alerts = registry.counter('flywheel_monitor_alerts_total', 'Alerts raised, by rule', ['rule']);
  }

  update(report: ModelMonitoring): void {
    // Only what the newest report says: retired versions and metrics that became undefined go.
    this.live.remove({ model: report.model });
    this.drift.remove({ model: report.model });
    const versions = new Set(report.performance.map((w) => w.version));
    for (const version of versions) {
      const labeled = report.performance.filter((w) => w.version === version && w.labeled > 0).at(-1);
      for (const [metric, value] of Object.entries(labeled?.metrics ?? {})) {
        if (value !== null) this.live.labels(report.model, String(version), metric).set(value);
      }
      const drift = report.inputDrift.find((d) => d.version === version)?.windows.filter((w) => w.report).at(-1);
      if (drift?.report) this.drift.labels(report.model, String(version)).set(drift.report.summary.share);
    }
  }

  alert(rule: string): void {
    this.alerts.labels(rule).inc();
  }
}
