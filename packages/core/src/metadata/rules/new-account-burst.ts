/** Young accounts that send many messages (WhatsApp 2019: message rate right after registration). */
import { positiveCount, rate } from '../../scenario/fields';
import { defineRule, ruleBlock } from './rule';

export const newAccountBurst = defineRule({
  name: 'newAccountBurst',
  label: 'new-account burst',
  block: ruleBlock(
    {
      maxAccountAgeDays: rate(36_500)
        .default(14)
        .describe('Flag an account younger than this many days (WhatsApp 2019: message rate right after registration) ...'),
      minMessages: positiveCount(1_000_000).default(40).describe('... that sends at least this many messages ...'),
    },
    [48, '... within this many simulated hours.'],
    'Rule: young accounts sending many messages.',
  ),
  trigger: { on: 'envelope', counts: (s, e) => e.senderAccountAgeDays < s.maxAccountAgeDays },
  measure: 'events',
  threshold: (s) => s.minMessages,
});
