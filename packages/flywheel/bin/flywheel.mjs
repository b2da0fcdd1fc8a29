#!/usr/bin/env node
// The CLI is written in TypeScript and loaded through tsx, so no build step stands between
// `npm ci` and `npx flywheel`, and pipeline files written in TypeScript load the same way.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
