import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { projectDir } from '../context.js';
import { printJson } from '../output.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('inspect the project configuration');
  config
    .command('show')
    .description('print the configuration in effect: file, FLYWHEEL_* overrides and defaults, validated')
    .action(async (_options, command: Command) => {
      const loaded = await loadConfig({ projectDir: projectDir(command) });
      printJson(redact({ file: loaded.file ?? null, ...loaded.config }));
    });
}

/** Hides secrets (keys named like secrets, passwords inside URLs) from printed config. */
function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (/secret|password|token/i.test(key)) return '***';
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
