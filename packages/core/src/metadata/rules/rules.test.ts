import { describe, expect, it } from 'vitest';
import { positiveCount } from '../../scenario/fields';
import { scenarioSchema } from '../../scenario';
import { METADATA_RULE_LABELS, METADATA_RULE_REGISTRY, METADATA_RULES, checkRuleRegistry, defineRule, ruleBlock, type MetadataRuleModule } from '.';

const extra = (name: string): MetadataRuleModule =>
  defineRule({
    name,
    label: name,
    block: ruleBlock({ minThings: positiveCount(10).default(2) }, [24, 'window'], 'Rule: extra.'),
    trigger: { on: 'complaint' },
    measure: 'events',
    threshold: (s) => s.minThings,
  }) as MetadataRuleModule;

describe('the metadata rule registry', () => {
  it('lists the rules in the order results list them, each with a label', () => {
    expect(METADATA_RULES).toEqual(['unconnectedMinors', 'newAccountBurst', 'imagesToMinors', 'blocksAndReports']);
    expect(Object.keys(METADATA_RULE_LABELS)).toEqual([...METADATA_RULES]);
  });

  it('composes detection.metadata from `enabled` and each rule’s block, in registry order', () => {
    const metadata = scenarioSchema.shape.detection.unwrap().shape.metadata.unwrap();
    expect(Object.keys(metadata.shape)).toEqual(['enabled', ...METADATA_RULES]);
  });

  it('gives every rule block enabled, its own fields, then windowHours, all defaulted', () => {
    for (const rule of METADATA_RULE_REGISTRY) {
      const settings = rule.block.parse(undefined) as Record<string, unknown>;
      const keys = Object.keys(settings);
      expect(keys[0]).toBe('enabled');
      expect(keys.at(-1)).toBe('windowHours');
      expect((rule as MetadataRuleModule).threshold(settings as never)).toBeGreaterThan(0);
    }
  });

  it('refuses a rule whose name another rule, or the block’s own `enabled`, has', () => {
    const rules = METADATA_RULE_REGISTRY as readonly MetadataRuleModule[];
    expect(() => checkRuleRegistry([...rules, extra('newRule')])).not.toThrow();
    expect(() => checkRuleRegistry([...rules, extra('imagesToMinors')])).toThrow('the name "imagesToMinors" is taken');
    expect(() => checkRuleRegistry([extra('enabled')])).toThrow('the name "enabled" is taken');
  });
});
