// `npm run bench -- demo`: wall time of `flywheel demo` (the continuous-training replay, February to
// June 2001) through the real CLI in a fresh project, against the 3-minute target; and, for scale,
// the single pipeline run of `flywheel demo --once` and the CLI's own start.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/flywheel/bin/flywheel.mjs', import.meta.url));

function timeDemo(args: string[]): { ms: number; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fw-bench-demo-'));
  try {
    const started = performance.now();
    const result = spawnSync(process.execPath, [bin, 'demo', ...args], { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`demo failed:\n${result.stdout}\n${result.stderr}`);
    return { ms: performance.now() - started, stdout: result.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const nodeStartup = (() => {
  const started = performance.now();
  execFileSync(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  return performance.now() - started;
})();
const loop = timeDemo(['--quiet']);
const outcome = /Outcome: (.*)/.exec(loop.stdout)?.[1] ?? '?';
const once = timeDemo(['--once', '--quiet']);

const date = new Date().toISOString().slice(0, 10);
const machine = `${availableParallelism()} | ${process.version}`;
console.log(`load average before the last run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('| date | nproc | node | command | measure | figure | target |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | \`flywheel demo\`, fresh project: the loop replay Feb–Jun 2001 (${outcome}) | ${(loop.ms / 1000).toFixed(1)} s | < 180 s |`);
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | \`flywheel demo --once\`, fresh project (3M-row file, Jan → Feb) | ${(once.ms / 1000).toFixed(1)} s | < 120 s |`);
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | \`flywheel --help\` (process start, for scale) | ${(nodeStartup / 1000).toFixed(2)} s | — |`);
