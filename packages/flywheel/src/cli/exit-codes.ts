/** Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong, 130 canceled. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export const EXIT_FOR_STATUS = { complete: EXIT.ok, failed: EXIT.failed, canceled: EXIT.interrupted } as const;
