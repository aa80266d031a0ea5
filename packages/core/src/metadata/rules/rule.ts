/**
 * What a metadata rule is: one module per rule (its name, label, scenario block and
 * window logic), registered with one line in ./index.ts. The metadata detector runs
 * every registered rule the same way: on each event the rule counts, it records the
 * event in the account's window for the rule, drops what is older than the window, and
 * fires when the measure reaches the threshold (at most once per window length).
 */
import { z } from 'zod';
import type { Envelope } from '../../types';
import { windowHours } from '../../scenario/fields';

/** Every rule's block has these fields (see ruleBlock). */
export interface RuleSettings {
  enabled: boolean;
  windowHours: number;
}

/** What a rule counts: envelopes from the account, or complaints (blocks and reports) about it. */
export type RuleTrigger<S> = { on: 'envelope'; counts(settings: S, envelope: Envelope): boolean } | { on: 'complaint' };

export interface MetadataRuleModule<Name extends string = string, Block extends z.ZodType<RuleSettings> = z.ZodType<RuleSettings>> {
  /** The rule's name in detections and in `detection.metadata.<name>`. */
  name: Name;
  /** How tables name it. */
  label: string;
  block: Block;
  trigger: RuleTrigger<z.output<Block>>;
  /**
   * What is measured over the window: `events`, how many counted events; `accounts`, how
   * many distinct other accounts (the recipients of the envelopes, the complainants).
   */
  measure: 'events' | 'accounts';
  /** The measure at which the rule fires. */
  threshold(settings: z.output<Block>): number;
}

export function defineRule<const Name extends string, Block extends z.ZodType<RuleSettings>>(
  rule: MetadataRuleModule<Name, Block>,
): MetadataRuleModule<Name, Block> {
  return rule;
}

/** A rule's block: `enabled`, the rule's own fields, then `windowHours`. */
export function ruleBlock<Shape extends z.ZodRawShape>(shape: Shape, window: [hours: number, description: string], description: string) {
  return (
    z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether this rule runs.'),
        ...shape,
        windowHours: windowHours(window[0], window[1]),
      })
      // Every field has a default, so an absent block is an empty one (zod cannot see that through the generic shape).
      .prefault({} as never)
      .describe(description)
  );
}

/** A DM from an adult to a minor they are not connected to. */
export const toUnconnectedMinor = (e: Envelope) => e.surface === 'dm' && !e.senderMinor && e.recipientMinor && !e.connected;
