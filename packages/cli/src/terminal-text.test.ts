/** What the command line prints is safe for a terminal: no control sequences (passwords: the pipeline's redact.test.ts). */
import { describe, expect, it } from 'vitest';
import { jsonText, printable } from './output';

describe('printable', () => {
  it('writes every C0 control character but newline and tab, DEL and C1 as a visible escape', () => {
    expect(printable('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(printable('a\rb\u0000c\u007fd\u009b31m')).toBe('a\\x0db\\x00c\\x7fd\\x9b31m');
    expect(printable('line one\n\tline two · ü 日本')).toBe('line one\n\tline two · ü 日本');
  });

  it('leaves nothing a terminal would obey, for any character', () => {
    for (let c = 0; c < 0x100; c++) {
      const out = printable(`x${String.fromCharCode(c)}y`);
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });
});

describe('jsonText', () => {
  it('escapes DEL and C1 as JSON does C0, without changing the value', () => {
    const doc = { name: '\u001b[2J\u009b31m\u007f' };
    const text = jsonText(doc);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(text)).toEqual(doc);
  });
});
