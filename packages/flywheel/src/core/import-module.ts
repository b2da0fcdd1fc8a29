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
  // Compiled to CommonJS, the namespace's default is `module.exports`, marked __esModule, which
  // holds the real default export beside any named ones.
  if (typeof value === 'object' && value !== null && Object.getOwnPropertyDescriptor(value, '__esModule')?.value === true) {
    return (value as { default?: unknown }).default;
  }
  return value;
}
