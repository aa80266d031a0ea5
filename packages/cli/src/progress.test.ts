import { describe, expect, it } from 'vitest';
import { Progress } from './progress';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { stream: { isTTY, write: (s: string) => out.push(s) > 0 }, out };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Progress', () => {
  it('prints plain lines with day, rate and time left when not on a terminal', async () => {
    const { stream, out } = sink(false);
    const p = new Progress('e2ee', 30, stream, 0);
    await wait(1_050);
    p.update(50_000, 10);
    p.done();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^e2ee: day 11\/30 · [\d,]+ messages\/s · ~\d+ s left\n$/);
  });

  it('redraws a bar in place on a terminal and clears it at the end', async () => {
    const { stream, out } = sink(true);
    const p = new Progress('plain', 10, stream, 0);
    await wait(1_050);
    p.update(1_000, 5);
    p.done();
    expect(out[0]).toMatch(/^\r\[#{12}\.{12}\] plain: day 6\/10/);
    expect(out.at(-1)).toBe('\r\u001b[K');
  });

  it('draws at most once per interval', async () => {
    const { stream, out } = sink(false);
    const p = new Progress('x', 10, stream, 60_000);
    await wait(1_050);
    p.update(1, 1);
    p.update(2, 2);
    p.update(3, 3);
    expect(out).toHaveLength(1);
  });
});
