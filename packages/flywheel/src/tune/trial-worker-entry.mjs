// Entry of a trial worker process. It registers tsx itself (a child process does not inherit the
// loader its parent runs under) before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./trial-worker.ts');
