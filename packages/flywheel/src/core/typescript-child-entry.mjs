// Entry of Flywheel's TypeScript child processes (see forkTypeScript). A child process does not
// inherit the tsx loader its parent runs under, so this registers tsx, takes the module to run
// from its first argument (leaving the child its own arguments from process.argv[2] on), and
// loads it.
import { register } from 'tsx/esm/api';

register();
const [module] = process.argv.splice(2, 1);
await import(module);
