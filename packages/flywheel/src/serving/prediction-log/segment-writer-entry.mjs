// Entry of the prediction log's writer process (see segment-writer.ts). A child process does not
// inherit the tsx loader of its parent, so it registers tsx itself before it loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./segment-writer-process.ts');
