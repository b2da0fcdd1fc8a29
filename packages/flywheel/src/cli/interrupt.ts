/**
 * Turns the first Ctrl-C (SIGINT) or SIGTERM into a graceful cancellation through an
 * AbortSignal, so the run is recorded as canceled and stays resumable; a second Ctrl-C exits at once.
 */
export function cancelOnInterrupt(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write('\nforced exit; `flywheel resume` continues the run\n');
      process.exit(130);
    }
    controller.abort(new Error(`interrupted by ${signal}`));
    onFirst();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM; later ones are ignored, so that closing is not cut short. */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
}
