import { resolve } from 'node:path';

/**
 * Imports a user's .ts/.mts/.js/.mjs file (a config or a pipeline) and returns its default export.
 * TypeScript loads through tsx. A file in a folder without `"type": "module"` is compiled as
 * CommonJS, which wraps the default export once more; that wrapper is removed here.
 */
export async function importDefault(path: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  const module = (await tsImport(resolve(path), import.meta.url)) as { default?: unknown };
  const value = module.default;
  if (value !== null && typeof value === 'object' && 'default' in value && Object.keys(value).every((k) => k === 'default' || k === '__esModule')) {
    return (value as { default: unknown }).default;
  }
  return value;
}
