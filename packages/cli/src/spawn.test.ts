/** Why a service the command started exited, as the command reports it. */
import { describe, expect, it } from 'vitest';
import { exitReason } from './spawn';

/** The end of what V8 writes to stderr when a process runs out of heap. */
const V8_OUT_OF_MEMORY =
  '<--- Last few GCs --->\n[4242:0x5e1f]  3947 ms: Mark-Compact 61.9 (66.6) -> 61.8 (67.1) MB\n\n' +
  'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n----- Native stack trace -----\n';

describe('exitReason', () => {
  it('names an out-of-memory exit, and for the generator what to reduce', () => {
    expect(exitReason('generator', 'SIGABRT', V8_OUT_OF_MEMORY)).toBe(
      "the generator service ran out of memory (SIGABRT: JavaScript heap out of memory): the scenario's world does not fit in its heap; " +
        'use fewer accounts or a shorter durationDays, or give it more memory (NODE_OPTIONS=--max-old-space-size=<MB>)',
    );
    expect(exitReason('reporter', 'code 134', V8_OUT_OF_MEMORY)).toBe(
      'the reporter service ran out of memory (code 134: JavaScript heap out of memory): give it more memory (NODE_OPTIONS=--max-old-space-size=<MB>)',
    );
  });

  it('says only that it exited when its output gives no reason', () => {
    expect(exitReason('scanner', 'SIGKILL', '{"msg":"service started"}\n')).toBe('the scanner service exited unexpectedly (SIGKILL)');
  });
});
