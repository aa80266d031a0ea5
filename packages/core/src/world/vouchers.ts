/**
 * Client-side scanning on the sender's client: before sending an image on a scanned
 * surface, the client matches it against its copy of the hash bank and attaches a
 * safety voucher, which opens to the server only once an account's matches reach the
 * threshold. The clients' matcher gives the same answers as the server's.
 */
import { encodeVoucher } from '../css';
import { bankEntry, type PlatformBank } from '../hash';
import { bankMatcher, type BankMatcher } from '../bank-match';
import type { Scenario } from '../scenario';
import type { Content, Envelope } from '../types';
import type { Surface } from '../vocabulary';
import type { Clients } from './clients';

export class Vouchers {
  private readonly surfaces: Set<Surface>;
  /** The clients' matcher (their copy of the bank), or null without client-side scanning. */
  private readonly matcher: BankMatcher | null;

  constructor(
    private readonly scenario: Scenario,
    private readonly bank: PlatformBank,
    private readonly clients: Clients,
  ) {
    const css = scenario.detection.clientSideScanning;
    this.surfaces = new Set(css.enabled ? css.surfaces : []);
    this.matcher = css.enabled ? bankMatcher(bank.bank) : null;
  }

  /** The voucher the sender's client attaches to message `e` (its id set), or null when none is due. */
  voucherFor(e: Envelope, content: Content, plain: Uint8Array): Uint8Array | null {
    if (content.media !== 'image' || !this.surfaces.has(e.surface)) return null;
    const hm = this.scenario.detection.hashMatching;
    const css = this.scenario.detection.clientSideScanning;
    const match = this.matcher && content.quality >= hm.minQuality ? this.matcher.match(content.hash, hm.matchDistance) : null;
    const client = this.clients.voucherClient(css.threshold);
    return encodeVoucher(client.voucherFor(e.sender, match ? bankEntry(this.bank.bank, match.index) : null, plain));
  }
}
