import { describe, expect, it } from 'vitest';
import { morrisDesign, morrisEffects } from './morris';

describe('Morris design', () => {
  it('moves one factor by Δ at each step, each factor once per trajectory, on the grid', () => {
    const d = morrisDesign(5, 8, 4, 1);
    expect(d.delta).toBeCloseTo(2 / 3, 12);
    expect(d.trajectories).toHaveLength(8);
    for (const points of d.trajectories) {
      expect(points).toHaveLength(6);
      const moved = points.flatMap((p) => (p.moved ? [p.moved.factor] : []));
      expect([...moved].sort()).toEqual([0, 1, 2, 3, 4]);
      points.forEach((p, j) => {
        for (const x of p.x) expect([0, 1 / 3, 2 / 3, 1].some((g) => Math.abs(g - x) < 1e-12)).toBe(true);
        if (j === 0) return;
        const before = points[j - 1]?.x as number[];
        const changed = p.x.map((x, i) => (Math.abs(x - (before[i] as number)) > 1e-12 ? i : -1)).filter((i) => i >= 0);
        expect(changed).toEqual([p.moved?.factor]);
        expect((p.x[p.moved?.factor as number] as number) - (before[p.moved?.factor as number] as number)).toBeCloseTo(p.moved?.step as number, 12);
      });
    }
    // The same seed, the same design; another, another.
    expect(morrisDesign(5, 8, 4, 1)).toEqual(d);
    expect(morrisDesign(5, 8, 4, 2)).not.toEqual(d);
  });

  it('recovers the effects of a known function', () => {
    // y = 10·x0 − 3·x1 + 0·x2 + 4·x3²: μ of x0 is 10, of x1 −3, of x2 0; x3 is non-linear (σ > 0).
    const d = morrisDesign(4, 20, 4, 3);
    const f = (x: number[]) => 10 * (x[0] as number) - 3 * (x[1] as number) + 4 * (x[3] as number) ** 2;
    const e = morrisEffects(
      d,
      d.trajectories.map((pts) => pts.map((p) => f(p.x))),
    );
    expect(e[0]?.mu).toBeCloseTo(10, 10);
    expect(e[0]?.sigma).toBeCloseTo(0, 10);
    expect(e[1]?.mu).toBeCloseTo(-3, 10);
    expect(e[1]?.muStar).toBeCloseTo(3, 10);
    expect(e[2]?.muStar).toBe(0);
    expect(e[3]?.sigma as number).toBeGreaterThan(0);
    expect(e[0]?.effects).toHaveLength(20);
  });

  it('refuses a design it cannot make, and outputs that do not fit it', () => {
    expect(() => morrisDesign(3, 2, 3, 1)).toThrow(/even number/);
    expect(() => morrisDesign(0, 2, 4, 1)).toThrow(/at least one factor/);
    const d = morrisDesign(2, 2, 4, 1);
    expect(() =>
      morrisEffects(d, [
        [1, 2, 3],
        [1, 2],
      ]),
    ).toThrow(/trajectory 2 has 2 outputs for 3 points/);
  });
});
