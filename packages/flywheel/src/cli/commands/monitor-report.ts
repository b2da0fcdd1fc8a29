import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Stack } from '../../config/stack.js';
import { parseDuration } from '../../core/duration.js';
import type { Firing } from '../../metadata/control-store.js';
import { projectDir, withStack } from '../context.js';
import { parseTime } from './monitor-windows.js';

/** `flywheel monitor report <model>`: the loop's HTML report of a served model. */
export function registerMonitorReportCommand(monitor: Command): void {
  monitor
    .command('report <model>')
    .description('an HTML report of a served model: live metric per window and version with promotions, drift per feature over time, triggers, alerts and rollouts, the champion\'s lineage')
    .option('--window <duration>', 'window length: 1d, 1w …', (v) => parseDuration(v, '--window'), 7 * 86_400_000)
    .option('--since <time>', 'first window from this time (ISO 8601)', (v) => parseTime(v, '--since'))
    .option('--metric <name>', 'the live metric drawn (auc, accuracy, rmse …)', 'auc')
    .option('--out <file>', 'where the report goes', 'monitoring-report.html')
    .addHelpText('after', '\nExample:\n  flywheel monitor report flights-delay --window 1d --since 2026-11-01 --out flights.html')
    .action(async (model: string, flags: { window: number; since?: Date; metric: string; out: string }, command: Command) =>
      withStack(command, async (stack) => {
        const { monitorModel } = await import('../../monitoring/monitor-model.js');
        const { renderLoopReport } = await import('../../monitoring/loop-report.js');
        const { versionLineage } = await import('../../monitoring/prediction-lineage.js');
        const { writeReport } = await import('../../data/report/write-report.js');
        await stack.registry.getModel(model);
        const monitoring = await monitorModel(stack, { model, windowMs: flags.window, ...(flags.since ? { since: flags.since } : {}) });
        const champion = await stack.registry.findAlias(model, 'champion');
        const html = renderLoopReport({
          model, metric: flags.metric, generatedAt: new Date(), monitoring,
          aliasMoves: await stack.registry.aliasHistory(model),
          rollouts: await stack.control.findRollouts({ model, limit: 1000 }),
          firings: await firingsOf(stack, model),
          alerts: await stack.control.findAlerts({ model, limit: 1000 }),
          champion: champion ? await versionLineage(stack, model, champion.version) : null,
        });
        const file = resolve(projectDir(command), flags.out);
        await writeReport(html, file);
        process.stdout.write(`report of ${model}: ${monitoring.performance.length} window(s) × version(s); written to ${file}\n`);
      }),
    );
}

/** Firings about this model: their event names it (an alert), or their run registered a version of it. */
async function firingsOf(stack: Stack, model: string): Promise<Firing[]> {
  const runs = new Set((await stack.registry.listVersions(model)).map((v) => v.tags.run));
  return (await stack.control.findFirings({ limit: 1000 })).filter((f) => f.event.model === model || runs.has(f.runId));
}
