import { mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '@blindspot/core/scenario';
import { PRINTED_PROBLEMS, loadAll, printedProblems, readScenarioText } from './load';
import { refusal } from './test-support';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-load-'));
const write = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const valid = 'seed: 1\ndurationDays: 2\npopulation: {adults: 30, minors: 10}\n';

describe('reading a scenario file', () => {
  it('reads a regular file as UTF-8 text, without a byte-order mark', () => {
    expect(readScenarioText(write('ok.yaml', valid)).text).toBe(valid);
    expect(readScenarioText(write('bom.yaml', `\ufeff${valid}`)).text).toBe(valid);
    expect(readScenarioText(write('utf8.yaml', `name: Zürich 東京\n${valid}`)).text).toBe(`name: Zürich 東京\n${valid}`);
  });

  // Devices and FIFOs are tested through the command (tests/hostile-input.test.ts): read
  // in this process, a regression would take all memory or block the test run forever.
  it('refuses what is not a regular file, naming the path and what it is', () => {
    const linked = join(dir, 'linked.yaml');
    symlinkSync(dir, linked);
    expect(refusal(() => readScenarioText(dir))).toEqual([
      expect.stringMatching(/: cannot read scenario: is a directory, not a regular file; give the path of a \.yaml file$/),
    ]);
    expect(refusal(() => readScenarioText(linked))).toEqual([expect.stringMatching(/linked\.yaml: cannot read scenario: is a directory/)]);
    expect(refusal(() => readScenarioText(join(dir, 'nope.yaml')))).toEqual([expect.stringMatching(/nope\.yaml: cannot read scenario: no such file$/)]);
  });

  it('refuses a file past the byte limit without reading it, however large', () => {
    const atLimit = write('at-limit.yaml', '');
    truncateSync(atLimit, LIMITS.fileBytes);
    expect(readScenarioText(atLimit).text).toHaveLength(LIMITS.fileBytes);
    // A sparse file of 3 GB: before, it was read whole before the character limit was checked.
    const huge = write('huge.yaml', '');
    truncateSync(huge, 3 * 2 ** 30);
    const started = performance.now();
    expect(refusal(() => readScenarioText(huge))).toEqual([
      expect.stringMatching(/huge\.yaml: cannot read scenario: the file has 3221225472 bytes; a scenario file may have at most 4000000 bytes \(/),
    ]);
    expect(performance.now() - started).toBeLessThan(500);
    const justOver = write('over.yaml', '');
    truncateSync(justOver, LIMITS.fileBytes + 1);
    expect(refusal(() => readScenarioText(justOver))).toEqual([expect.stringMatching(/the file has 4000001 bytes/)]);
  });

  it('refuses bytes that are not UTF-8, with the line of the first one, rather than reading replacement characters', () => {
    const latin1 = write('latin1.yaml', Buffer.concat([Buffer.from(`${valid}# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(refusal(() => readScenarioText(latin1))).toEqual([
      expect.stringMatching(/latin1\.yaml: cannot read scenario: line 4 is not UTF-8 text; a scenario file is UTF-8/),
    ]);
    // A genuine U+FFFD before the bad byte is text, not the bad byte.
    const genuine = write('genuine.yaml', Buffer.concat([Buffer.from('# \ufffd\n# 😀\n'), Buffer.from([0xff])]));
    expect(refusal(() => readScenarioText(genuine))).toEqual([expect.stringMatching(/genuine\.yaml: cannot read scenario: line 3 is not UTF-8/)]);
  });

  it('loadAll refuses every unreadable file at once', () => {
    expect(refusal(() => loadAll([join(dir, 'huge.yaml'), write('fine.yaml', valid), dir]))).toEqual([
      expect.stringMatching(/huge\.yaml: cannot read scenario: the file has/),
      expect.stringMatching(/: cannot read scenario: is a directory/),
    ]);
  });
});

describe('the problems printed', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `x.yaml:${i + 1}:1: f${i}: unknown field`);

  it('are all of them up to the cap', () => {
    expect(printedProblems(lines(PRINTED_PROBLEMS))).toEqual(lines(PRINTED_PROBLEMS));
    expect(printedProblems([])).toEqual([]);
  });

  it('are the first ones and a count of the rest beyond it', () => {
    const printed = printedProblems(lines(12_345));
    expect(printed).toHaveLength(PRINTED_PROBLEMS + 1);
    expect(printed.slice(0, PRINTED_PROBLEMS)).toEqual(lines(PRINTED_PROBLEMS));
    expect(printed.at(-1)).toMatch(/^… and 12,295 more problems, not shown \(blindspot validate <file> --json lists/);
  });
});
