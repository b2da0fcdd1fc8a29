import type { HostTensor, TensorData } from './served-model.js';

/** How concurrent requests to one model version are joined into one onnxruntime run. */
export interface BatchingOptions {
  /** Most rows in one run; a single larger request still runs, alone. */
  maxBatchRows: number;
  /**
   * How long the first queued request waits for company, in milliseconds. 0 (the default) waits
   * for nothing: the batch closes at the end of the current event-loop turn, so an idle server
   * answers at once and a busy one batches whatever arrived meanwhile.
   */
  maxWaitMs: number;
}

export type RunTensors = (inputs: Readonly<Record<string, HostTensor>>) => Promise<Record<string, HostTensor>>;

interface Pending {
  inputs: Readonly<Record<string, HostTensor>>;
  rows: number;
  resolve(outputs: Record<string, HostTensor>): void;
  reject(error: unknown): void;
}

/**
 * Joins requests along the batch axis (axis 0 of every input and output) into one run, then
 * splits the outputs back. onnxruntime-node runs a session on the JavaScript thread, so one run
 * at a time is all there is: while it runs, new requests queue, and the next run takes them all
 * (adaptive batching with no timer). A batch that fails is retried request by request, so one bad
 * request cannot fail its neighbours.
 */
export class MicroBatcher {
  private queue: Pending[] = [];
  private running = false;
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(
    private readonly run: RunTensors,
    private readonly options: BatchingOptions,
    private readonly onBatch: (rows: number, requests: number) => void = () => undefined,
  ) {}

  submit(inputs: Readonly<Record<string, HostTensor>>, rows: number): Promise<Record<string, HostTensor>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ inputs, rows, resolve, reject });
      if (this.running) return;
      if (this.scheduled === undefined) {
        this.scheduled = this.options.maxWaitMs > 0 ? setTimeout(this.flush, this.options.maxWaitMs) : setImmediate(this.flush);
      } else if (this.options.maxWaitMs > 0 && this.queuedRows() >= this.options.maxBatchRows) {
        clearTimeout(this.scheduled as NodeJS.Timeout);
        this.scheduled = setImmediate(this.flush);
      }
    });
  }

  private queuedRows(): number {
    let rows = 0;
    for (const p of this.queue) rows += p.rows;
    return rows;
  }

  private readonly flush = (): void => {
    this.scheduled = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch = this.take();
    this.running = true;
    this.execute(batch).finally(() => {
      this.running = false;
      if (this.queue.length > 0) this.flush();
    });
  };

  /** The longest prefix of the queue that fits one run and has matching non-batch dimensions. */
  private take(): Pending[] {
    const first = this.queue[0] as Pending;
    let rows = first.rows;
    let count = 1;
    while (count < this.queue.length) {
      const next = this.queue[count] as Pending;
      if (rows + next.rows > this.options.maxBatchRows || !sameTailShapes(first.inputs, next.inputs)) break;
      rows += next.rows;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private async execute(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      this.onBatch(only.rows, 1);
      await this.run(only.inputs).then(only.resolve, only.reject);
      return;
    }
    let total = 0;
    for (const p of batch) total += p.rows;
    let outputs: Record<string, HostTensor> | undefined;
    try {
      outputs = await this.run(concatInputs(batch, total));
    } catch {
      outputs = undefined;
    }
    if (outputs !== undefined && Object.values(outputs).every((t) => t.shape[0] === total)) {
      this.onBatch(total, batch.length);
      let offset = 0;
      for (const p of batch) {
        p.resolve(sliceOutputs(outputs, offset, p.rows));
        offset += p.rows;
      }
      return;
    }
    for (const p of batch) {
      this.onBatch(p.rows, 1);
      await this.run(p.inputs).then(p.resolve, p.reject);
    }
  }
}

function sameTailShapes(a: Readonly<Record<string, HostTensor>>, b: Readonly<Record<string, HostTensor>>): boolean {
  for (const name in a) {
    const x = (a[name] as HostTensor).shape;
    const y = b[name]?.shape;
    if (!y || x.length !== y.length) return false;
    for (let i = 1; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

function concatInputs(batch: readonly Pending[], total: number): Record<string, HostTensor> {
  const first = (batch[0] as Pending).inputs;
  const out: Record<string, HostTensor> = {};
  for (const name in first) {
    const model = first[name] as HostTensor;
    const shape = [total, ...model.shape.slice(1)];
    if (model.type === 'string') {
      const data: string[] = [];
      for (const p of batch) for (const s of (p.inputs[name] as HostTensor).data as string[]) data.push(s);
      out[name] = { type: model.type, shape, data };
      continue;
    }
    let size = 0;
    for (const p of batch) size += (p.inputs[name] as HostTensor).data.length;
    const Kind = (model.data as Float32Array).constructor as new (n: number) => Float32Array;
    const data = new Kind(size);
    let offset = 0;
    for (const p of batch) {
      const part = (p.inputs[name] as HostTensor).data as Float32Array;
      data.set(part, offset);
      offset += part.length;
    }
    out[name] = { type: model.type, shape, data };
  }
  return out;
}

function sliceOutputs(outputs: Record<string, HostTensor>, firstRow: number, rows: number): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const name in outputs) {
    const tensor = outputs[name] as HostTensor;
    const total = tensor.shape[0] as number;
    const width = total === 0 ? 0 : tensor.data.length / total;
    const from = firstRow * width;
    const to = from + rows * width;
    const data: TensorData = Array.isArray(tensor.data) ? tensor.data.slice(from, to) : (tensor.data as Float32Array).subarray(from, to);
    out[name] = { type: tensor.type, shape: [rows, ...tensor.shape.slice(1)], data };
  }
  return out;
}
