/** Adults who DM many distinct minors they are not connected to (Messenger 2020). */
import { positiveCount } from '../../scenario/fields';
import { defineRule, ruleBlock, toUnconnectedMinor } from './rule';

export const unconnectedMinors = defineRule({
  name: 'unconnectedMinors',
  label: 'unconnected minors',
  block: ruleBlock(
    {
      minMinors: positiveCount(1_000_000)
        .default(5)
        .describe('Flag an adult who DMs at least this many distinct minors they are not connected to (Messenger 2020) ...'),
    },
    [72, '... within a sliding window of this many simulated hours.'],
    'Rule: adults messaging many minors they are not connected to.',
  ),
  trigger: { on: 'envelope', counts: (_s, e) => toUnconnectedMinor(e) },
  measure: 'accounts',
  threshold: (s) => s.minMinors,
});
