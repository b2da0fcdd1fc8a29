/**
 * Writes the gradient at `x` into `gradient` and returns the objective's value there.
 */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the largest gradient component is at most this. */
  gradientTolerance: number;
  /** Stop when an iteration lowers the objective by less than this, relative to its size. */
  relativeTolerance: number;
  /** Correction pairs kept (the m of L-BFGS). */
  history?: number;
  signal?: AbortSignal;
  onIteration?: (iteration: number, value: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
  /** Why it stopped: `gradient`, `relative-decrease`, `max-iterations` or `line-search`. */
  stop: 'gradient' | 'relative-decrease' | 'max-iterations' | 'line-search';
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 50;

/**
 * Minimises a smooth function with limited-memory BFGS and a backtracking (Armijo) line search.
 * Deterministic: the same objective and start give the same iterates bit for bit.
 *
 * @example
 *   const { x } = minimizeLbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; },
 *     new Float64Array(1), { maxIterations: 50, gradientTolerance: 1e-8, relativeTolerance: 0 });
 */
export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = start.length;
  const m = options.history ?? 10;
  let x = Float64Array.from(start);
  let g = new Float64Array(n);
  let value = objective(x, g);
  let xNext = new Float64Array(n);
  let gNext = new Float64Array(n);
  const direction = new Float64Array(n);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);

  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    options.signal?.throwIfAborted();
    if (maxAbs(g) <= options.gradientTolerance) return { x, value, iterations: iteration, converged: true, stop: 'gradient' };

    // Two-loop recursion: direction = -H·g with H the L-BFGS inverse-Hessian estimate.
    for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
    for (let k = s.length - 1; k >= 0; k--) {
      const a = (rho[k] as number) * dot(s[k] as Float64Array, direction);
      alpha[k] = a;
      axpy(-a, y[k] as Float64Array, direction);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const yLast = y[last] as Float64Array;
      scale(dot(s[last] as Float64Array, yLast) / dot(yLast, yLast), direction);
    }
    for (let k = 0; k < s.length; k++) {
      const b = (rho[k] as number) * dot(y[k] as Float64Array, direction);
      axpy((alpha[k] as number) - b, s[k] as Float64Array, direction);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Curvature information has gone bad: fall back to steepest descent and start over.
      s.length = 0;
      y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
      slope = dot(g, direction);
    }

    // Without curvature pairs the direction is the raw gradient, whose length says nothing
    // about a good step; start from a step of unit length instead.
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let nextValue = Number.NaN;
    let accepted = false;
    for (let tries = 0; tries < MAX_BACKTRACKS; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = (x[i] as number) + step * (direction[i] as number);
      nextValue = objective(xNext, gNext);
      if (nextValue <= value + ARMIJO * step * slope) {
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) return { x, value, iterations: iteration, converged: false, stop: 'line-search' };

    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = (xNext[i] as number) - (x[i] as number);
      yk[i] = (gNext[i] as number) - (g[i] as number);
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * dot(yk, yk)) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }

    const decrease = value - nextValue;
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    value = nextValue;
    options.onIteration?.(iteration + 1, value);
    if (decrease <= options.relativeTolerance * Math.max(Math.abs(value), 1)) {
      return { x, value, iterations: iteration + 1, converged: true, stop: 'relative-decrease' };
    }
  }
  const converged = maxAbs(g) <= options.gradientTolerance;
  return { x, value, iterations: options.maxIterations, converged, stop: converged ? 'gradient' : 'max-iterations' };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

function axpy(a: number, x: Float64Array, target: Float64Array): void {
  for (let i = 0; i < x.length; i++) target[i] = (target[i] as number) + a * (x[i] as number);
}

function scale(a: number, target: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) * a;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] as number));
  return max;
}
