/**
 * The registry of metadata rules: one line per rule, in the order results list them
 * (append, never reorder). A rule's name, label and scenario block come from its module.
 */
import { z } from 'zod';
import { blocksAndReports } from './blocks-and-reports';
import { imagesToMinors } from './images-to-minors';
import { newAccountBurst } from './new-account-burst';
import type { MetadataRuleModule } from './rule';
import { unconnectedMinors } from './unconnected-minors';

export const METADATA_RULE_REGISTRY = [unconnectedMinors, newAccountBurst, imagesToMinors, blocksAndReports] as const;

export type MetadataRule = (typeof METADATA_RULE_REGISTRY)[number]['name'];
export const METADATA_RULES = METADATA_RULE_REGISTRY.map((r) => r.name) as readonly MetadataRule[] as readonly [MetadataRule, ...MetadataRule[]];
export const METADATA_RULE_LABELS = Object.fromEntries(METADATA_RULE_REGISTRY.map((r) => [r.name, r.label])) as Record<MetadataRule, string>;

type RuleBlocks = { [R in (typeof METADATA_RULE_REGISTRY)[number] as R['name']]: R['block'] };

/** The metadata route's scenario block: `enabled`, then each rule's block in registry order. */
export const metadataBlock = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Behavioural rules over envelopes, blocks and reports; they work under encryption.'),
    ...(Object.fromEntries(METADATA_RULE_REGISTRY.map((r) => [r.name, r.block])) as RuleBlocks),
  })
  .prefault({})
  .describe('Route: behavioural rules over envelopes, blocks and reports in sliding windows of simulated time.');

/** Refuses a registry with a rule name taken twice (or by the block's own `enabled`), or a rule that counts nothing. */
export function checkRuleRegistry(rules: readonly MetadataRuleModule[]): void {
  const names = new Set<string>(['enabled']);
  for (const rule of rules) {
    if (names.has(rule.name)) throw new Error(`metadata rule registry: the name "${rule.name}" is taken`);
    if (!rule.trigger || !['envelope', 'complaint'].includes(rule.trigger.on)) throw new Error(`metadata rule registry: rule "${rule.name}" has no trigger`);
    names.add(rule.name);
  }
}

checkRuleRegistry(METADATA_RULE_REGISTRY);

export { defineRule, ruleBlock, type MetadataRuleModule, type RuleSettings, type RuleTrigger } from './rule';
