import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const rosenbrock = (x: Float64Array, g: Float64Array) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 200, gradientTolerance: 1e-9, relativeTolerance: 0 });
    expect(result.converged).toBe(true);
    expect(result.stop).toBe('gradient');
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  it('is deterministic and reports when it runs out of iterations', () => {
    const quadratic = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < x.length; i++) {
        const scale = i + 1;
        g[i] = 2 * scale * (x[i]! - i);
        f += scale * (x[i]! - i) ** 2;
      }
      return f;
    };
    const options = { maxIterations: 3, gradientTolerance: 1e-12, relativeTolerance: 0 };
    const first = minimizeLbfgs(quadratic, new Float64Array(20), options);
    const second = minimizeLbfgs(quadratic, new Float64Array(20), options);
    expect(first.stop).toBe('max-iterations');
    expect(first.converged).toBe(false);
    expect(Array.from(second.x)).toEqual(Array.from(first.x));
    const full = minimizeLbfgs(quadratic, new Float64Array(20), { ...options, maxIterations: 100 });
    expect(full.converged).toBe(true);
    full.x.forEach((v, i) => expect(v).toBeCloseTo(i, 8));
  });

  it('stops when aborted', () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    expect(() => minimizeLbfgs((_x, g) => { g.fill(1); return 0; }, new Float64Array(1), {
      maxIterations: 10, gradientTolerance: 0, relativeTolerance: 0, signal: controller.signal,
    })).toThrow('stop');
  });
});
