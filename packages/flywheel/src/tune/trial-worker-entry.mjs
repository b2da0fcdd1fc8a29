// Entry of a trial worker thread. Workers do not inherit the tsx loader their parent runs under
// (on Node 20 neither `register()` hooks nor `--import tsx` reach a worker), so each one registers
// tsx itself before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./trial-worker.ts');
