import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { StepLogger } from './component.js';

/**
 * The log of one step: lines are streamed to a file as they come (opened on the first line, so
 * silent steps cost nothing) and the file is stored as a blob when the step ends.
 */
export class StepLog {
  readonly logger: StepLogger;
  private stream: WriteStream | undefined;
  private failed = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly onLine: (level: 'info' | 'warn', message: string) => void,
  ) {
    this.logger = {
      info: (message) => this.write('info', message),
      warn: (message) => this.write('warn', message),
    };
  }

  write(level: 'info' | 'warn', message: string): void {
    // A component that ignored its abort may still log after its step ended; those lines are dropped.
    if (this.closed) return;
    if (!this.stream) {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
      } catch {
        this.failed = true;
      }
      this.stream = createWriteStream(this.path, { flags: 'a' });
      this.stream.on('error', () => {
        this.failed = true;
      });
    }
    this.stream.write(`${new Date().toISOString()} ${level} ${message}\n`);
    this.onLine(level, message);
  }

  /** Closes the file and stores it; the digest, or undefined when nothing was logged or the file could not be written. */
  async store(artifacts: ArtifactStore): Promise<string | undefined> {
    this.closed = true;
    const stream = this.stream;
    if (!stream) return undefined;
    stream.end();
    await finished(stream).catch(() => {
      this.failed = true;
    });
    if (this.failed) return undefined;
    return (await artifacts.putFile(this.path)).digest;
  }
}
