/**
 * Envelopes: the facts the platform knows about each message (surface, accounts, their
 * declared age groups, whether they are contacts, the sender's account age, whether the
 * message is end-to-end encrypted: see rollout.ts). No draw.
 */
import type { Scenario } from '../scenario';
import type { Envelope } from '../types';
import { DAY } from '../types';
import type { Media, Surface } from '../vocabulary';
import type { Population } from './population';
import { Encryption } from './rollout';

export class Envelopes {
  private readonly encryption: Encryption;

  constructor(
    scenario: Scenario,
    private readonly population: Population,
  ) {
    this.encryption = new Encryption(scenario);
  }

  /** A message's envelope; `recipient` is -1 on public surfaces. Id and size are set at delivery. */
  make(t: number, sender: number, recipient: number, surface: Surface, media: Media): Envelope {
    const p = this.population;
    return {
      id: -1,
      t,
      surface,
      sender,
      recipient,
      media,
      size: 0,
      encrypted: this.encryption.encrypted(t, surface, sender, recipient),
      senderMinor: p.isMinor(sender),
      recipientMinor: recipient >= 0 && p.isMinor(recipient),
      connected: recipient >= 0 && p.connected(sender, recipient),
      senderAccountAgeDays: Math.round(((t - (p.createdAt[sender] as number)) / DAY) * 100) / 100,
    };
  }
}
