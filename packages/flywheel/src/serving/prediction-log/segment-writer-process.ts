import { getPriority, setPriority } from 'node:os';
import { errorMessage } from '../../core/errors.js';
import { processAlive } from '../../core/process-alive.js';
import { convertStagedBatch, orphanedBatches } from './segment-conversion.js';
import { WRITER_NICENESS, type WriterReply, type WriterRequest } from './segment-writer.js';

// The body of the prediction log's writer process: converts the staged batches it is sent, one at
// a time, and answers each with a WriterReply. Started by SegmentWriter with the log folder as its
// argument; exits when its parent goes away.
const [dir, token] = process.argv.slice(2);
const send = process.send?.bind(process);
if (dir === undefined || token === undefined || send === undefined) throw new Error('segment-writer-process.ts runs as a child of SegmentWriter');

// Where the writer was not started through `nice` (Windows), at least its main thread yields.
try {
  if (getPriority() < WRITER_NICENESS) setPriority(WRITER_NICENESS);
} catch {
  // Lowering one's own priority is allowed everywhere Node runs; if not, the log is written anyway.
}

const connection = (async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  // One thread: batches are small, and the machine's cores belong to the server's requests.
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  return instance.connect();
})();

let queue: Promise<void> = (async () => {
  for (const staged of await orphanedBatches(dir, { pid: process.ppid, token }, processAlive)) {
    await convertStagedBatch(await connection, dir, staged).catch(() => undefined);
  }
})().catch(() => undefined);

process.on('message', (request: WriterRequest) => {
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      await convertStagedBatch(await connection, dir, request.staged);
      reply = { id: request.id };
    } catch (error) {
      reply = { id: request.id, error: errorMessage(error) };
    }
    send(reply);
  });
});
process.on('disconnect', () => process.exit(0));
