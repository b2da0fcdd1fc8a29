import cluster, { type Worker } from 'node:cluster';
import { mergeExpositions, type WorkerExposition } from './metrics-merge.js';

/** How long a worker may take to answer for its metrics before `/metrics` goes on without it. */
const METRICS_TIMEOUT_MS = 2000;
/** A worker that dies sooner than this after it started is not started again: something is wrong with all of them. */
const STABLE_AFTER_MS = 5000;
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
  /** Stops every worker (each closes its server, as on Ctrl-C) and waits for them. */
  stop(): Promise<void>;
}

/**
 * Runs `count` worker processes that run this same command and share its port (Node's cluster:
 * the primary hands each new connection to the next worker), so a server can use every core. The
 * primary only supervises: it starts a worker again when one dies (unless it dies within
 * STABLE_AFTER_MS of starting, which stops everything), and answers a worker's request for the
 * metrics of all of them. Resolves once every worker listens; rejects when one fails to start.
 *
 * @example
 *   const workers = await startServeWorkers({ count: 2, log: console.error });
 *   console.log(`serving at ${workers.url}`);
 */
export function startServeWorkers(options: ServeWorkersOptions): Promise<ServeWorkers> {
  const slots = new Map<number, { worker: Worker; started: number; listening: boolean }>();
  let stopping = false;
  let nextCollect = 1;
  const collections = new Map<number, { expositions: WorkerExposition[]; waiting: number; done: () => void }>();

  return new Promise<ServeWorkers>((resolve, reject) => {
    let url: string | undefined;
    let serving = '';
    const fail = (reason: string) => {
      stopping = true;
      for (const { worker } of slots.values()) worker.kill('SIGTERM');
      reject(new Error(reason));
    };

    const start = (slot: number) => {
      const worker = cluster.fork({ [SLOT_VARIABLE]: String(slot) });
      const entry = { worker, started: Date.now(), listening: false };
      slots.set(slot, entry);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'listening') {
          entry.listening = true;
          if (url === undefined) {
            url = message.url;
            serving = message.serving;
          }
          if ([...slots.values()].every((s) => s.listening)) resolve({ url, serving, stop });
        } else if (message.type === 'collect') {
          collect((text) => worker.send({ type: 'metrics', id: message.id, text } satisfies PrimaryMessage));
        } else if (message.type === 'exposition') {
          const collection = collections.get(message.id);
          if (!collection) return;
          collection.expositions.push({ worker: String(slot), text: message.text });
          if (--collection.waiting === 0) collection.done();
        }
      });
      worker.on('exit', (code, signal) => {
        if (slots.get(slot)?.worker !== worker) return;
        slots.delete(slot);
        if (stopping) return;
        const how = signal ?? `code ${code}`;
        if (!entry.listening || Date.now() - entry.started < STABLE_AFTER_MS) {
          fail(`serve worker ${slot} (pid ${worker.process.pid}) exited (${how}) ${entry.listening ? 'soon after it started' : 'before it listened'}; stopping`);
          return;
        }
        options.log(`serve worker ${slot} (pid ${worker.process.pid}) exited (${how}); starting another`);
        start(slot);
      });
    };

    /** Asks every worker for its exposition and answers with all of them merged. */
    const collect = (answer: (text: string) => void) => {
      const id = nextCollect++;
      const workers = [...slots.entries()];
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        const collection = collections.get(id);
        collections.delete(id);
        const expositions = (collection?.expositions ?? []).sort((a, b) => Number(a.worker) - Number(b.worker));
        answer(mergeExpositions(expositions));
      };
      const timer = setTimeout(done, METRICS_TIMEOUT_MS);
      collections.set(id, { expositions: [], waiting: workers.length, done });
      for (const [, { worker }] of workers) worker.send({ type: 'collect', id } satisfies PrimaryMessage);
      if (workers.length === 0) done();
    };

    const stop = async () => {
      stopping = true;
      await Promise.all(
        [...slots.values()].map(({ worker }) => new Promise<void>((exited) => {
          if (worker.isDead()) return exited();
          worker.once('exit', () => exited());
          worker.process.kill('SIGTERM');
        })),
      );
    };

    for (let slot = 1; slot <= options.count; slot++) start(slot);
  });
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
