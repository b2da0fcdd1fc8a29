import { execFile } from 'node:child_process';

/** The version-control state of the code a run came from. */
export interface CodeVersion {
  /** The git commit checked out, full hash. */
  commit: string;
  /** Whether tracked files differ from that commit. */
  dirty: boolean;
}

function git(dir: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: dir, timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

/**
 * The git commit of the working tree holding `dir`, and whether it has uncommitted changes;
 * undefined outside a git work tree or without git.
 *
 * @example
 *   await codeVersion('/work/project') // { commit: '9f4d1a6…', dirty: false }
 */
export async function codeVersion(dir: string): Promise<CodeVersion | undefined> {
  const commit = await git(dir, ['rev-parse', '--verify', 'HEAD']);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const status = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === undefined ? false : status.length > 0 };
}
