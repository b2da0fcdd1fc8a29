import cluster, { type Worker } from 'node:cluster';
import { mergeExpositions, type WorkerExposition } from './metrics-merge.js';

/** How long a worker may take to answer for its metrics before `/metrics` goes on without it. */
const METRICS_TIMEOUT_MS = 2000;
/** Waits before starting a worker again after the last one in its slot died: doubling from the first to the last. */
const RESTART_DELAYS_MS = { first: 500, last: 30_000 };
/** A worker that ran this long before it died is restarted without delay. */
const STABLE_AFTER_MS = 60_000;
/** How long stop() waits for a worker to close before killing it. */
const STOP_TIMEOUT_MS = 30_000;
/** Environment variable that gives a worker its slot number (1…n), the `worker` label of its metrics. */
const SLOT_VARIABLE = 'FLYWHEEL_SERVE_WORKER';

type PrimaryMessage = { type: 'collect'; id: number } | { type: 'metrics'; id: number; text: string };
type WorkerMessage = { type: 'listening'; url: string; serving: string } | { type: 'collect'; id: number } | { type: 'exposition'; id: number; text: string };

/** Whether this process is one of the workers of `flywheel serve --workers`. */
export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[SLOT_VARIABLE] !== undefined;
}

export interface ServeWorkersOptions {
  count: number;
  /** Where the primary reports worker exits and restarts. */
  log: (line: string) => void;
}

export interface ServeWorkers {
  /** The URL the workers listen at (they share one port). */
  url: string;
  /** What the first worker said it serves. */
  serving: string;
  /** Stops every worker (each closes its server, as on Ctrl-C; killed after STOP_TIMEOUT_MS) and waits for them. */
  stop(): Promise<void>;
}

interface Slot {
  worker: Worker;
  started: number;
  listening: boolean;
  /** Restarts in a row of workers that died soon after they started. */
  failures: number;
}

/**
 * Runs `count` worker processes that run this same command and share its port (Node's cluster:
 * the primary hands each new connection to the next worker), so a server can use every core. The
 * primary only supervises: it answers a worker's request for the metrics of all of them, and it
 * starts a worker again when one dies, after a delay that doubles while replacements keep dying
 * soon after they start (a broken model version, an unreachable registry), so the other workers
 * keep serving meanwhile. Resolves once every worker listens; rejects, stopping the others, when
 * one fails before that (the worker prints its own error).
 *
 * @example
 *   const workers = await startServeWorkers({ count: 2, log: console.error });
 *   console.log(`serving at ${workers.url}`);
 */
export function startServeWorkers(options: ServeWorkersOptions): Promise<ServeWorkers> {
  const slots = new Map<number, Slot>();
  let started = false;
  let stopping = false;
  let nextCollect = 1;
  const collections = new Map<number, { expositions: WorkerExposition[]; waiting: Set<number>; done: () => void }>();
  const restarts = new Set<NodeJS.Timeout>();

  return new Promise<ServeWorkers>((resolve, reject) => {
    let url: string | undefined;
    let serving = '';

    const start = (slot: number, failures: number) => {
      const worker = cluster.fork({ [SLOT_VARIABLE]: String(slot) });
      const entry: Slot = { worker, started: Date.now(), listening: false, failures };
      slots.set(slot, entry);
      // A send to a worker that just went away emits 'error' on it; its 'exit' follows and is handled there.
      worker.on('error', () => undefined);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'listening') {
          entry.listening = true;
          if (url === undefined) {
            url = message.url;
            serving = message.serving;
          }
          if (!started && [...slots.values()].every((s) => s.listening)) {
            started = true;
            resolve({ url, serving, stop });
          }
        } else if (message.type === 'collect') {
          collect((text) => send(worker, { type: 'metrics', id: message.id, text }));
        } else if (message.type === 'exposition') {
          const collection = collections.get(message.id);
          if (!collection?.waiting.delete(slot)) return;
          collection.expositions.push({ worker: String(slot), text: message.text });
          if (collection.waiting.size === 0) collection.done();
        }
      });
      worker.on('exit', (code, signal) => {
        if (slots.get(slot)?.worker !== worker) return;
        slots.delete(slot);
        for (const collection of collections.values()) if (collection.waiting.delete(slot) && collection.waiting.size === 0) collection.done();
        if (stopping) return;
        const how = `serve worker ${slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`})`;
        if (!started) {
          stopping = true;
          for (const { worker: other } of slots.values()) other.kill('SIGTERM');
          reject(new Error(`${how} before it listened; stopping`));
          return;
        }
        const stable = entry.listening && Date.now() - entry.started >= STABLE_AFTER_MS;
        const delay = stable ? 0 : Math.min(RESTART_DELAYS_MS.last, RESTART_DELAYS_MS.first * 2 ** entry.failures);
        options.log(`${how}; starting another${delay > 0 ? ` in ${(delay / 1000).toFixed(1)} s` : ''}`);
        const restart = setTimeout(() => {
          restarts.delete(restart);
          start(slot, stable ? 0 : entry.failures + 1);
        }, delay);
        restarts.add(restart);
      });
    };

    /** Asks every listening worker for its exposition and answers with all of them merged. */
    const collect = (answer: (text: string) => void) => {
      const id = nextCollect++;
      const asked = [...slots.entries()].filter(([, s]) => s.listening && s.worker.isConnected());
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        const expositions = collections.get(id)?.expositions ?? [];
        collections.delete(id);
        answer(mergeExpositions(expositions.sort((a, b) => Number(a.worker) - Number(b.worker))));
      };
      const timer = setTimeout(done, METRICS_TIMEOUT_MS);
      collections.set(id, { expositions: [], waiting: new Set(asked.map(([slot]) => slot)), done });
      for (const [, { worker }] of asked) send(worker, { type: 'collect', id });
      if (asked.length === 0) done();
    };

    const stop = async () => {
      stopping = true;
      for (const restart of restarts) clearTimeout(restart);
      await Promise.all(
        [...slots.values()].map(({ worker }) => new Promise<void>((exited) => {
          if (worker.isDead()) return exited();
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          worker.once('exit', () => {
            clearTimeout(kill);
            exited();
          });
          worker.process.kill('SIGTERM');
        })),
      );
    };

    for (let slot = 1; slot <= options.count; slot++) start(slot, 0);
  });
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * The worker's side of `/metrics`: answers the primary's requests for this worker's exposition
 * (`exposeOwn`), and returns how to get the merged metrics of every worker.
 */
export function serveWorkerMetrics(exposeOwn: () => string): () => Promise<string> {
  const pending = new Map<number, (text: string) => void>();
  let nextId = 1;
  process.on('message', (message: PrimaryMessage) => {
    if (message.type === 'collect') {
      process.send?.({ type: 'exposition', id: message.id, text: exposeOwn() } satisfies WorkerMessage);
    } else if (message.type === 'metrics') {
      pending.get(message.id)?.(message.text);
      pending.delete(message.id);
    }
  });
  return () =>
    new Promise<string>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      process.send?.({ type: 'collect', id } satisfies WorkerMessage);
    });
}

/** Tells the primary that this worker listens at `url`, serving what `serving` describes. */
export function announceListening(url: string, serving: string): void {
  process.send?.({ type: 'listening', url, serving } satisfies WorkerMessage);
}
