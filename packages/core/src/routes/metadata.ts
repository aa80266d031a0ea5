/**
 * The metadata route: behavioural rules over envelopes, blocks and reports, which work
 * under encryption. Its rules are modules of their own (see metadata/rules).
 */
import { metadataBlock } from '../metadata/rules';
import { defineRoute } from './route';

export const metadata = defineRoute({
  name: 'metadata',
  label: 'metadata',
  reviewRank: 5,
  block: { key: 'metadata', schema: metadataBlock },
  detect: { kind: 'pattern', stage: 'metadata-detector', enabled: (s) => s.enabled },
});
