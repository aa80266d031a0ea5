import { describe, expect, it } from 'vitest';
import { sobolDesign, sobolIndices } from './sobol';

/** The Ishigami function (a = 7, b = 0.1) on [−π, π]³: its indices are known exactly. */
function ishigami(u: number[]): number {
  const [x1, x2, x3] = u.map((v) => -Math.PI + 2 * Math.PI * v) as [number, number, number];
  return Math.sin(x1) + 7 * Math.sin(x2) ** 2 + 0.1 * x3 ** 4 * Math.sin(x1);
}

describe('Sobol indices', () => {
  it('recover the Ishigami function’s indices', () => {
    const d = sobolDesign(3, 4000, 1);
    expect(d.rows).toHaveLength(4000);
    expect(d.rows[0]).toHaveLength(5);
    const ys = d.rows.map((pts) => pts.map(ishigami));
    const s = sobolIndices(d, ys, 1, 200);
    // Analytic: S1 0.314, S2 0.442, S3 0; ST1 0.558, ST2 0.442, ST3 0.244.
    expect(s[0]?.first).toBeCloseTo(0.314, 1);
    expect(s[1]?.first).toBeCloseTo(0.442, 1);
    expect(Math.abs(s[2]?.first as number)).toBeLessThan(0.05);
    expect(s[0]?.total).toBeCloseTo(0.558, 1);
    expect(s[1]?.total).toBeCloseTo(0.442, 1);
    expect(s[2]?.total).toBeCloseTo(0.244, 1);
    for (const x of s) {
      expect(x.firstLow).toBeLessThanOrEqual(x.first);
      expect(x.totalHigh).toBeGreaterThanOrEqual(x.total);
    }
  });

  it('give an ignored factor exactly nothing', () => {
    const d = sobolDesign(2, 400, 2);
    const s = sobolIndices(
      d,
      d.rows.map((pts) => pts.map((u) => 3 * (u[0] as number))),
      2,
      100,
    );
    expect(s[1]?.total).toBe(0);
    expect(s[1]?.first).toBe(0);
    expect(Math.abs((s[0]?.total as number) - 1)).toBeLessThan(0.15);
  });
});
