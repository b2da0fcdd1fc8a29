import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a rendered report, creating its folder. The page goes to a sibling temporary file that is
 * renamed over `path` when complete, so a browser or a web server never shows half a report.
 *
 * @example
 *   await writeReport(renderStatisticsReport(stats), 'reports/statistics.html');
 */
export async function writeReport(html: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial-${process.pid}-${Date.now()}`;
  try {
    await writeFile(partial, html, 'utf8');
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}
