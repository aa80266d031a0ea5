/**
 * Envelopes: the facts the platform knows about each message (surface, accounts, their
 * declared age groups, whether they are contacts, the sender's account age, whether the
 * message is end-to-end encrypted, as the surfaces of the platform it is on say: see
 * rollout.ts and platforms.ts). No draw.
 */
import type { Scenario } from '../scenario';
import type { Envelope } from '../types';
import { DAY } from '../types';
import type { Media, Surface } from '../vocabulary';
import type { Population } from './population';
import { platformsOf } from '../scenario/platforms';
import type { Platforms } from './platforms';
import { Encryption } from './rollout';

export class Envelopes {
  /** Each platform's encryption: a message is encrypted as its platform's surfaces say. */
  private readonly encryption: Encryption[];

  constructor(
    scenario: Scenario,
    private readonly population: Population,
    private readonly platforms: Platforms,
  ) {
    this.encryption = platformsOf(scenario).map((p) => new Encryption({ surfaces: p.surfaces, seed: scenario.seed }));
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
      encrypted: (this.encryption[this.platforms.of(sender, recipient, surface)] as Encryption).encrypted(t, surface, sender, recipient),
      senderMinor: p.isMinor(sender),
      recipientMinor: recipient >= 0 && p.isMinor(recipient),
      connected: recipient >= 0 && p.connected(sender, recipient),
      senderAccountAgeDays: Math.round(((t - p.created(sender)) / DAY) * 100) / 100,
    };
  }
}
