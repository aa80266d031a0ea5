/** How many accounts and contact pairs a scenario's population may hold: what sizes its tables and its social graph. */
import type { Scenario } from './schema';

/** The offender archetypes' settings, in the order the population draws them. */
export function offenderArchetypes(scenario: Scenario) {
  const o = scenario.population.offenders;
  return [o.sharers, o.producers, o.groomers] as const;
}

/**
 * Accounts kept, per offender's career, past the run's end for closings to bring
 * forward (enforcement on): how many times in a row a closing can bring an offender back
 * sooner than their accounts' own lifetimes would.
 */
export const DORMANT_ACCOUNTS = 6;

/**
 * The account slots a run needs (a function of the scenario alone, so the tables can be
 * sized before any draw). The population is open: adults and minors are the accounts
 * open at any time; accounts close at the rate accountAgeDays sets and as many join
 * during the run, each joiner a slot of its own. Offenders' new accounts (returns,
 * newcomers) take adult slots from a reserve sized well above their expected number.
 */
export function accountSlots(scenario: Scenario): { adults: number; minors: number; users: number; offenderReserve: number } {
  const p = scenario.population;
  const days = scenario.durationDays;
  const joiners = (open: number) => Math.round((open * days) / p.accountAgeDays);
  let expected = 0;
  let careers = 0;
  for (const a of offenderArchetypes(scenario)) {
    expected += (a.count * days) / a.accountLifetimeDays;
    careers += a.returnShare * a.count * (2 + days / a.accountLifetimeDays);
  }
  // Each career keeps a few accounts past the run's end, for closings to bring forward
  // (kept with enforcement off too, so that the population does not depend on it).
  const dormant = Math.ceil(DORMANT_ACCOUNTS * careers);
  const offenderReserve = Math.ceil(1.5 * expected + 6 * Math.sqrt(expected) + 8) + dormant;
  const adults = p.adults + joiners(p.adults) + offenderReserve;
  const minors = p.minors + joiners(p.minors);
  return { adults, minors, users: adults + minors, offenderReserve };
}

/** Contact pairs the population may hold at most: the contacts, offender networks and mentors' classes. */
export function contactPairs(scenario: Scenario): number {
  const p = scenario.population;
  const slots = accountSlots(scenario);
  const m = p.lookalikes.mentors;
  const ring = slots.offenderReserve + p.offenders.sharers.count + p.offenders.producers.count;
  return Math.round((slots.users * scenario.traffic.contactsPerUser) / 2) + RING_CONTACTS * ring + m.count * Math.min(m.minorsEach, p.minors);
}

/** Contacts each image offender tries to make in the network they trade in. */
export const RING_CONTACTS = 5;
