// `npm run bench -- demo`: wall time of the demo through the real CLI in a fresh project — the
// first run (everything computed), the second (the champion is now set, so the evaluation against
// it runs again) and the third (fully cached: only the registry lookups and the push run).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/flywheel/bin/flywheel.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fw-bench-demo-'));

function timeDemo(): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, 'demo', '--quiet'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`demo failed:\n${result.stdout}\n${result.stderr}`);
  return performance.now() - started;
}

const nodeStartup = (() => {
  const started = performance.now();
  execFileSync(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  return performance.now() - started;
})();
const cold = timeDemo();
const second = timeDemo();
const cached = timeDemo();
rmSync(dir, { recursive: true, force: true });

const date = new Date().toISOString().slice(0, 10);
const machine = `${availableParallelism()} | ${process.version}`;
console.log('| date | nproc | node | command | measure | figure | target |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | \`flywheel demo\`, fresh project (3M-row file, Jan → Feb) | ${(cold / 1000).toFixed(1)} s | < 120 s |`);
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | second run: data and training cached, evaluation against the new champion recomputed | ${(second / 1000).toFixed(1)} s | — |`);
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | third run: fully cached | ${(cached / 1000).toFixed(1)} s | < 5 s |`);
console.log(`| ${date} | ${machine} | \`npm run bench -- demo\` | \`flywheel --help\` (process start, for scale) | ${(nodeStartup / 1000).toFixed(2)} s | — |`);
