/** Accounts that many distinct others block or report (Meta 2022: accounts teens blocked or reported). */
import { positiveCount } from '../../scenario/fields';
import { defineRule, ruleBlock } from './rule';

export const blocksAndReports = defineRule({
  name: 'blocksAndReports',
  label: 'blocks and reports',
  block: ruleBlock(
    {
      minAccounts: positiveCount(1_000_000)
        .default(3)
        .describe('Flag an account blocked or reported by at least this many distinct accounts (Meta 2022: accounts teens blocked or reported) ...'),
    },
    [168, '... within this many simulated hours.'],
    'Rule: accounts many others block or report.',
  ),
  trigger: { on: 'complaint' },
  measure: 'accounts',
  threshold: (s) => s.minAccounts,
});
