/** How many contact pairs a scenario's population may hold: what sizes its social graph. */
import type { Scenario } from './schema';

/** Contact pairs the population may hold at most: the contacts, offender networks and mentors' classes. */
export function contactPairs(scenario: Scenario): number {
  const p = scenario.population;
  const users = p.adults + p.minors;
  const m = p.lookalikes.mentors;
  const ring = p.offenders.sharers.count + p.offenders.producers.count;
  return Math.round((users * scenario.traffic.contactsPerUser) / 2) + RING_CONTACTS * ring + m.count * Math.min(m.minorsEach, p.minors);
}

/** Contacts each image offender tries to make in the network they trade in. */
export const RING_CONTACTS = 5;
