import type { ChildProcess } from 'node:child_process';
import { forkTypeScript } from '../../core/fork-typescript.js';

/** The writer process's niceness: under a full CPU, the server's requests come first. */
export const WRITER_NICENESS = 10;

/**
 * How the writer is started: through `nice`, so that every thread of it (DuckDB works on libuv's
 * pool, which exists before any code of the writer runs) has the lower priority. `os.setPriority`
 * in the writer would reach its main thread only.
 */
const THROUGH_NICE = process.platform === 'win32' ? undefined : { execPath: 'nice', execArgv: ['-n', String(WRITER_NICENESS), process.execPath] };

/** How often one batch is sent to a new writer process after the last one died on it. */
const ATTEMPTS = 3;

const WRITER = new URL('./segment-writer-process.ts', import.meta.url);

export interface WriterRequest {
  id: number;
  /** A complete staged batch (see stagingPaths). */
  staged: string;
}

export interface WriterReply {
  id: number;
  /** Set when the batch could not be converted. */
  error?: string;
}

interface Job extends WriterRequest {
  attempts: number;
  resolve(): void;
  reject(error: Error): void;
  /** Settles with the job, either way. */
  settled: Promise<unknown>;
}

/**
 * Converts staged prediction batches into Parquet segments in a child process of lower priority
 * (niceness WRITER_NICENESS), so that DuckDB's work never takes a core from the server's requests
 * when the machine is busy. Started on the first batch; a writer that dies is started again and
 * given the batches it had (conversion is idempotent). When it starts, the writer also converts
 * batches left behind by servers that were killed. The child is not kept alive for nothing: while
 * no batch is pending, it does not hold the server's process open, and it exits with it.
 *
 * @example
 *   const writer = new SegmentWriter(predictionLogDir(home), token);
 *   await writer.convert(staged);
 *   await writer.close();
 */
export class SegmentWriter {
  private child: ChildProcess | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private exited: Promise<void> | undefined;

  private nice = THROUGH_NICE;

  /** `token`: the server process's random token, which its batch names carry (see stagingPaths). */
  constructor(
    private readonly dir: string,
    private readonly token: string,
  ) {}

  /** Batches sent and not yet converted (or failed). */
  get pending(): number {
    return this.jobs.size;
  }

  /** The writer process's id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves once the staged batch is written as segments; rejects with the writer's error. */
  convert(staged: string): Promise<void> {
    let settle = { resolve: () => {}, reject: (_: Error) => {} };
    const converted = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const job: Job = { id: this.nextId++, staged, attempts: 0, ...settle, settled: converted.catch(() => undefined) };
    this.jobs.set(job.id, job);
    this.send(job);
    return converted;
  }

  /** Waits for the batches sent so far, then stops the writer process. */
  /** Resolves once every batch handed over so far is converted (or failed). */
  async idle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.settled));
  }

  async close(): Promise<void> {
    await this.idle();
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    // Unreferenced while idle; wait for its exit now, or the server's process may end first.
    child.ref();
    child.disconnect();
    await this.exited;
  }

  private send(job: Job): void {
    job.attempts++;
    const child = this.start();
    child.channel?.ref();
    child.send({ id: job.id, staged: job.staged } satisfies WriterRequest);
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = forkTypeScript(WRITER, [this.dir, this.token], { ...this.nice, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.unref();
    child.on('message', (reply: WriterReply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      this.jobs.delete(reply.id);
      if (reply.error === undefined) job.resolve();
      else job.reject(new Error(`prediction log writer: ${reply.error}`));
      if (this.jobs.size === 0) child.channel?.unref();
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.retry(`the prediction log writer exited (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'exit' follows when the process ran; when it could not start, nothing else will come.
      if (child.pid === undefined) {
        if (this.child === child) this.child = undefined;
        // No `nice` on this machine: the writer lowers its own priority instead.
        if (error.code === 'ENOENT' && this.nice) this.nice = undefined;
        this.retry('the prediction log writer could not start');
      }
    });
    return child;
  }

  /** Sends the writer's unfinished batches to a new writer, or fails those tried too often. */
  private retry(reason: string): void {
    for (const job of [...this.jobs.values()]) {
      if (job.attempts < ATTEMPTS) {
        this.send(job);
      } else {
        this.jobs.delete(job.id);
        job.reject(new Error(reason));
      }
    }
  }
}
