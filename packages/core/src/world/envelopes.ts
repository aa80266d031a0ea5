/**
 * Envelopes: the facts the platform knows about each message (surface, accounts, their
 * declared age groups, whether they are contacts, the sender's account age, whether the
 * surface is end-to-end encrypted). No draw.
 */
import { encryptedSurfaces, type Scenario } from '../scenario';
import type { Envelope } from '../types';
import { DAY } from '../types';
import type { Media, Surface } from '../vocabulary';
import type { Population } from './population';

export class Envelopes {
  private readonly encrypted: Record<Surface, boolean>;

  constructor(
    scenario: Scenario,
    private readonly population: Population,
  ) {
    this.encrypted = encryptedSurfaces(scenario);
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
      encrypted: this.encrypted[surface],
      senderMinor: p.isMinor(sender),
      recipientMinor: recipient >= 0 && p.isMinor(recipient),
      connected: recipient >= 0 && p.connected(sender, recipient),
      senderAccountAgeDays: Math.round(((t - (p.createdAt[sender] as number)) / DAY) * 100) / 100,
    };
  }
}
