/** Adults who send many images to minors they are not connected to. */
import { positiveCount } from '../../scenario/fields';
import { defineRule, ruleBlock, toUnconnectedMinor } from './rule';

export const imagesToMinors = defineRule({
  name: 'imagesToMinors',
  label: 'images to minors',
  block: ruleBlock(
    {
      minImages: positiveCount(1_000_000).default(6).describe('Flag an adult who sends at least this many images to minors they are not connected to ...'),
    },
    [72, '... within this many simulated hours.'],
    'Rule: adults sending many images to minors they are not connected to.',
  ),
  trigger: { on: 'envelope', counts: (_s, e) => toUnconnectedMinor(e) && e.media === 'image' },
  measure: 'events',
  threshold: (s) => s.minImages,
});
