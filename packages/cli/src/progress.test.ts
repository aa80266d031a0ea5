import { describe, expect, it } from 'vitest';
import { Progress, RunsProgress, timeLeft } from './progress';

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

describe('RunsProgress', () => {
  it('prints runs done of all and the time left at the pace so far', async () => {
    const { stream, out } = sink(false);
    const p = new RunsProgress('sweep e2ee', 4, stream, 0);
    await wait(1_050);
    p.update(1);
    p.done();
    // The clock may have drawn "0 of 4" first.
    expect(out.length).toBeLessThanOrEqual(2);
    expect(out.at(-1)).toMatch(/^sweep e2ee: 1 of 4 runs done · ~[3-9] s left\n$/);
  });

  it('redraws on its own between runs, then clears the bar on a terminal', async () => {
    const { stream, out } = sink(true);
    const p = new RunsProgress('sweep x', 2, stream, 0);
    await wait(2_100);
    p.done();
    expect(out.length).toBeGreaterThanOrEqual(1);
    expect(out[0]).toMatch(/^\r\[\.{24}\] sweep x: 0 of 2 runs done · estimating/);
    expect(out.at(-1)).toBe('\r\u001b[K');
  });
});

describe('timeLeft', () => {
  it('scales the time spent by the share left', () => {
    expect(timeLeft(10, 0.5)).toBe('~10 s left');
    expect(timeLeft(10, 0.8)).toBe('~3 s left');
    expect(timeLeft(3, 0)).toBe('estimating');
  });
});

describe('a label with control characters', () => {
  it('is drawn escaped on a terminal and in a log; the bar keeps its own sequences', async () => {
    for (const tty of [true, false]) {
      const { stream, out } = sink(tty);
      const p = new Progress('\u001b]0;pwned\u0007\u001b[2J', 10, stream, 0);
      await wait(1_050);
      p.update(1_000, 5);
      p.done();
      const text = out.join('');
      expect(text).toContain('\\x1b]0;pwned\\x07\\x1b[2J: day 6/10');
      expect(text.replace(/\r|\u001b\[K/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    }
  });
});
