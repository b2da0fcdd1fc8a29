// `npm run bench -- serving [--duration <s>] [--only <label prefix>]`: single-row Open Inference
// Protocol v2 requests to the demo's flights model served by `flywheel serve`, next to a bare
// node:http server answering a constant JSON in the same run; `--only defaults` runs one case.
// Maximum throughput with wrk (1 thread, 16 connections; Debian's `wrk`), then latency at a fixed
// 5,000 requests/s from an open-loop generator (latency counted from each request's scheduled
// send time, so a stall is not hidden; the first 2 s, while the generator opens its connections, are
// not counted). Before the fixed-rate run, the server's prediction log backlog is left to drain. Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/flywheel/bin/flywheel.mjs', import.meta.url));
const durationArg = process.argv.indexOf('--duration');
const seconds = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 10;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'fw-bench-serving-'));
const MODEL = 'flights-delay';
const WARM_UP_SECONDS = 2;

const body = JSON.stringify({
  inputs: [
    { name: 'distance', shape: [1, 1], datatype: 'FP32', data: [500] },
    { name: 'hour', shape: [1, 1], datatype: 'FP32', data: [8] },
    { name: 'dow', shape: [1, 1], datatype: 'FP32', data: [2] },
    { name: 'origin', shape: [1, 1], datatype: 'BYTES', data: ['SFO'] },
    { name: 'destination', shape: [1, 1], datatype: 'BYTES', data: ['LAX'] },
  ],
});
const script = join(dir, 'oip.lua');
writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`);

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(2);
}

const trained = spawnSync(process.execPath, [bin, 'demo', '--once', '--days', '3', '--quiet'], { cwd: dir, encoding: 'utf8' });
if (trained.status !== 0) throw new Error(`demo failed:\n${trained.stdout}\n${trained.stderr}`);

/** Starts a server process; resolves with its URL once it listens. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

const BARE = `
const http = require('node:http');
const answer = ${JSON.stringify(JSON.stringify({ model_name: MODEL, model_version: '1', id: '00000000-0000-0000-0000-000000000000', outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [0] }] }))};
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
}).listen(0, '127.0.0.1', function () { console.log('listening at http://127.0.0.1:' + this.address().port); });
`;

interface WrkResult {
  rps: number;
  p99Ms: number;
}

function wrk(url: string): WrkResult {
  const result = spawnSync('wrk', ['-t1', '-c16', `-d${seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(result.stdout);
  const scale = { us: 0.001, ms: 1, s: 1000 }[(p99?.[2] ?? 'ms') as 'us' | 'ms' | 's'];
  if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${result.stdout}\n${result.stderr}`);
  return { rps, p99Ms: Number(p99?.[1]) * scale };
}

/**
 * Sends `rate` requests/s for WARM_UP_SECONDS + `seconds`, without waiting for answers; latency
 * percentiles from the scheduled send times, of the requests after the warm-up (in which the
 * generator opens its connections).
 */
async function openLoop(url: string, rate: number): Promise<{ p50: number; p99: number; errors: number; sent: number }> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const total = rate * (WARM_UP_SECONDS + seconds);
  const measuredFrom = rate * WARM_UP_SECONDS;
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        const scheduled = started + (sent / rate) * 1000;
        const measured = sent >= measuredFrom;
        sent++;
        pending.push(
          new Promise<void>((done) => {
            const req = request(
              { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
              (res) => {
                res.resume();
                res.on('end', () => {
                  if (res.statusCode !== 200) errors++;
                  if (measured) latencies.push(performance.now() - scheduled);
                  done();
                });
              },
            );
            req.on('error', () => {
              errors++;
              done();
            });
            req.end(body);
          }),
        );
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), errors, sent };
}

/** Waits until the server's prediction log queue is empty. */
async function drained(url: string): Promise<void> {
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // Every worker's queue (series with a worker label when there are several).
    const depth = [...metrics.matchAll(/^flywheel_prediction_log_queue_records(?:\{[^}]*\})? ([\d.e+]+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    if (depth === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const path = `/v2/models/${MODEL}/infer`;
const serve = (flags: string[]) => start([bin, 'serve', `${MODEL}@champion`, '--port', '0', ...flags]);

const bare = await start(['-e', BARE]);
const bareMax = wrk(`${bare.url}${path}`);
const bareFixed = await openLoop(`${bare.url}${path}`, 5000);
await stop(bare.child);

const cases: { label: string; flags: string[]; fixed: boolean }[] = [
  { label: 'defaults (micro-batching, prediction log of every request)', flags: [], fixed: true },
  { label: 'two worker processes', flags: ['--workers', '2'], fixed: true },
  { label: 'prediction log sampling 10%', flags: ['--log-sample', '0.1'], fixed: false },
  { label: 'no prediction log', flags: ['--no-prediction-log'], fixed: true },
  { label: 'no prediction log, no micro-batching', flags: ['--no-prediction-log', '--no-batching'], fixed: false },
];
const rows: string[] = [];
const date = new Date().toISOString().slice(0, 10);
const machine = `${availableParallelism()} | ${process.version}`;
for (const c of cases) {
  if (only !== undefined && !c.label.startsWith(only)) continue;
  const server = await serve(c.flags);
  const before = load();
  const max = wrk(`${server.url}${path}`);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const batchRows = Number(/flywheel_inference_batch_rows_sum\{[^}]*\} ([\d.e+]+)/.exec(metrics)?.[1]);
  const runs = Number(/flywheel_inference_batch_rows_count\{[^}]*\} ([\d.e+]+)/.exec(metrics)?.[1]);
  // The saturating run leaves a backlog of prediction records; the fixed-rate run measures a steady state, after it is written.
  await drained(server.url);
  const fixed = c.fixed ? await openLoop(`${server.url}${path}`, 5000) : undefined;
  await stop(server.child);
  const command = `\`flywheel serve ${MODEL}@champion${c.flags.length ? ` ${c.flags.join(' ')}` : ''}\``;
  rows.push(
    `| ${date} | ${machine} | ${command} — ${c.label} | ${Math.round(max.rps).toLocaleString('en-US')}/s (p99 ${max.p99Ms.toFixed(1)} ms; ${(batchRows / runs).toFixed(1)} rows/run) | ${Math.round(bareMax.rps).toLocaleString('en-US')}/s | ${(max.rps / bareMax.rps).toFixed(2)} | ${fixed ? `${fixed.p99.toFixed(2)} ms (p50 ${fixed.p50.toFixed(2)} ms, ${fixed.errors} errors)` : '—'} | ${before} |`,
  );
}
rows.push(`| ${date} | ${machine} | bare node:http, constant JSON (baseline) | ${Math.round(bareMax.rps).toLocaleString('en-US')}/s (p99 ${bareMax.p99Ms.toFixed(1)} ms) | — | 1.00 | ${bareFixed.p99.toFixed(2)} ms (p50 ${bareFixed.p50.toFixed(2)} ms) | ${load()} |`);
rmSync(dir, { recursive: true, force: true });

console.log(`Single-row OIP v2 infer, wrk -t1 -c16 -d${seconds}s; p99 at a fixed 5,000 requests/s (open loop, ${seconds} s after ${WARM_UP_SECONDS} s of warm-up).`);
console.log('| date | nproc | node | command | ours (max, wrk) | bare | ratio | p99 at 5,000/s | load average (1 5 15 min) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
