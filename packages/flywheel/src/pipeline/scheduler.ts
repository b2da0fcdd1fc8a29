export interface DagSchedule {
  /** `dependencies[i]`: the nodes that must succeed before node `i` starts. */
  dependencies: readonly (readonly number[])[];
  /** Nodes that already succeeded (reused on resume): never run, their dependents are released. */
  finished?: readonly boolean[];
  /** How many nodes may run at once. */
  concurrency: number;
  /** Runs one node; `true` releases its dependents, `false` (a failure) starts nothing more. */
  run(node: number): Promise<boolean>;
  /** Once aborted nothing more starts; running nodes are left to observe it themselves. */
  signal?: AbortSignal;
}

/**
 * Runs a DAG of nodes, each as soon as its dependencies succeeded, at most `concurrency` at a
 * time, in index order among those ready. Bookkeeping is O(nodes + edges): a count of unmet
 * dependencies per node and a queue of ready ones, nothing is rescanned. Resolves once no node
 * is running and none can start; rejects with the first error a `run` threw, after the others
 * still running have settled.
 */
export function runDag(schedule: DagSchedule): Promise<void> {
  const { dependencies, finished, concurrency, signal } = schedule;
  const n = dependencies.length;
  const unmet = new Int32Array(n);
  const dependents: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) dependents[i] = [];
  for (let i = 0; i < n; i++) {
    const deps = dependencies[i]!;
    unmet[i] = deps.length;
    for (let k = 0; k < deps.length; k++) dependents[deps[k]!]!.push(i);
  }

  const ready = new Int32Array(n);
  let head = 0;
  let tail = 0;
  const release = (node: number) => {
    const next = dependents[node]!;
    for (let k = 0; k < next.length; k++) {
      const d = next[k]!;
      if (--unmet[d]! === 0 && !finished?.[d]) ready[tail++] = d;
    }
  };
  if (finished) {
    for (let i = 0; i < n; i++) if (finished[i]) for (const d of dependents[i]!) unmet[d]!--;
  }
  for (let i = 0; i < n; i++) if (unmet[i] === 0 && !finished?.[i]) ready[tail++] = i;

  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let halted = false;
    let failure: { error: unknown } | undefined;

    const settle = (node: number, ok: boolean) => {
      running--;
      if (ok) release(node);
      else halted = true;
      pump();
    };

    const pump = () => {
      while (!halted && !signal?.aborted && running < concurrency && head < tail) {
        const node = ready[head++]!;
        running++;
        schedule.run(node).then(
          (ok) => settle(node, ok),
          (error: unknown) => {
            failure ??= { error };
            settle(node, false);
          },
        );
      }
      if (running === 0) {
        if (failure) reject(failure.error as Error);
        else resolve();
      }
    };
    pump();
  });
}
