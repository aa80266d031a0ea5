/**
 * The scenario file: the one input an analyst writes. Every assumption of the model is
 * a field here, with its unit and default in the description; the code holds no
 * figures of its own.
 *
 * Parsing never throws on bad input: it returns every problem with the field path and,
 * where the file has one, the line and column.
 */
import { LineCounter, parseDocument, isMap, isNode, type Document } from 'yaml';
import { z } from 'zod';

const count = (max: number) => z.int().min(0).max(max);
const positiveCount = (max: number) => z.int().min(1).max(max);
const probability = z.number().min(0).max(1);
const rate = (max: number) => z.number().min(0).max(max);

const encryption = z.enum(['none', 'e2ee']);

/** Upper bounds that keep a scenario within what one machine can hold in memory. */
export const LIMITS = {
  users: 5_000_000,
  days: 3_650,
  messagesPerUserPerDay: 1_000,
  bankSize: 10_000_000,
} as const;

const sharers = z
  .strictObject({
    count: count(LIMITS.users).default(0).describe('Offenders who share known abuse images (copies of hash-bank items). Adults.'),
    abusiveImagesPerDay: rate(1_000)
      .default(0.8)
      .describe('Abusive images each sharer sends per simulated day (Poisson mean).'),
    ringShare: probability
      .default(0.85)
      .describe('Share of a sharer\'s abusive images sent to another sharer (offender networks) rather than to an ordinary contact.'),
    publicPosterShare: probability
      .default(0.25)
      .describe('Share of sharers who sometimes post abusive images on the public surface as well as in DMs.'),
    publicPostProbability: probability
      .default(0.3)
      .describe('For a sharer who posts publicly: probability that a given abusive image goes to public posts.'),
  })
  .prefault({});

const groomers = z
  .strictObject({
    count: count(LIMITS.users).default(0).describe('Offenders who contact minors they are not connected to. Adults.'),
    newTargetsPerDay: rate(1_000)
      .default(0.8)
      .describe('Unconnected minors each groomer starts contacting per simulated day (Poisson mean).'),
    messagesPerTargetPerDay: rate(1_000)
      .default(3)
      .describe('Messages a groomer sends each active target per simulated day (Poisson mean).'),
    conversationDays: positiveCount(LIMITS.days)
      .default(6)
      .describe('Days a groomer keeps messaging a target.'),
    abusiveShare: probability
      .default(0.2)
      .describe('Share of a groomer\'s messages that are sexually abusive (what a recipient would report).'),
  })
  .prefault({});

const look = (mean: number, sd: number, what: string) =>
  z
    .strictObject({
      mean: probability.default(mean).describe(`Mean of the observable explicitness score (0..1) of ${what}.`),
      sd: rate(1).default(sd).describe(`Standard deviation of that score (clipped to 0..1).`),
    })
    .prefault({});

export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('A short name for the scenario; defaults to the file name without extension.'),
  description: z.string().max(10_000).optional().describe('Free text: what this scenario is for.'),
  seed: z
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .describe('Seed of every random draw: the same scenario and seed always give the same result.'),
  durationDays: positiveCount(LIMITS.days).describe('Length of the simulated period, in days.'),
  population: z.strictObject({
    adults: positiveCount(LIMITS.users).describe('Adult accounts (including offenders).'),
    minors: count(LIMITS.users).describe('Accounts of under-18s, whose declared age the platform knows.'),
    offenders: z
      .strictObject({
        sharers,
        groomers,
      })
      .prefault({})
      .describe('Offender archetypes; each is drawn from the adults.'),
  }),
  traffic: z
    .strictObject({
      messagesPerUserPerDay: rate(LIMITS.messagesPerUserPerDay)
        .default(8)
        .describe('Ordinary messages (DMs and posts) each user sends per simulated day, on average.'),
      mediaShare: probability.default(0.3).describe('Share of ordinary messages that carry an image.'),
      publicPostShare: probability
        .default(0.15)
        .describe('Share of ordinary messages that are public posts rather than DMs.'),
      contactsPerUser: rate(10_000).default(20).describe('Average number of contacts (connections) per user.'),
      sameAgeGroupShare: probability
        .default(0.85)
        .describe('Share of a user\'s contacts in their own age group (adult or minor).'),
      unconnectedShare: probability
        .default(0.02)
        .describe('Share of ordinary DMs sent to someone who is not a contact.'),
    })
    .prefault({}),
  surfaces: z
    .strictObject({
      directMessages: z
        .strictObject({ encryption: encryption.default('none').describe('none: the server can read DMs; e2ee: only the clients can.') })
        .prefault({}),
      publicPosts: z
        .strictObject({ encryption: encryption.default('none').describe('Public posts are normally readable by the platform.') })
        .prefault({}),
    })
    .prefault({}),
  content: z
    .strictObject({
      abusive: look(0.8, 0.12, 'abusive content'),
      benign: look(0.1, 0.1, 'benign content'),
    })
    .prefault({})
    .describe('What content looks like to a human reviewer: an observable score whose distribution depends on the hidden truth.'),
  detection: z
    .strictObject({
      hashBank: z
        .strictObject({
          size: positiveCount(LIMITS.bankSize).default(2_000).describe('Entries in the hash bank of known abusive images.'),
          perturbationBits: count(256)
            .default(8)
            .describe('Mean number of bits a re-shared copy differs from its bank entry (light edits, re-encoding).'),
          editedBeyondMatchShare: probability
            .default(0.05)
            .describe('Share of re-shared copies edited so heavily that they fall beyond the match distance.'),
        })
        .prefault({}),
      matchDistance: count(256)
        .default(31)
        .describe('Largest Hamming distance (bits of 256) counted as a match; 31 is PDQ\'s recommended threshold.'),
      metadata: z
        .strictObject({
          unconnectedMinors: z
            .strictObject({
              minMinors: positiveCount(1_000_000)
                .default(5)
                .describe('K: flag an adult who messages at least K distinct minors they are not connected to ...'),
              windowHours: z
                .number()
                .positive()
                .max(24 * LIMITS.days)
                .default(72)
                .describe('... within a sliding window of W simulated hours.'),
            })
            .prefault({}),
        })
        .prefault({}),
      userReports: z
        .strictObject({
          probability: probability
            .default(0.03)
            .describe('Probability that the (non-offender) recipient of an abusive message reports it.'),
          meanDelayHours: z.number().min(0).max(24 * 365).default(6).describe('Mean delay between receiving and reporting, in hours.'),
        })
        .prefault({}),
    })
    .prefault({}),
  review: z
    .strictObject({
      capacityPerDay: count(100_000_000).default(20).describe('Flags the human review team can decide per simulated day; the rest waits.'),
      confirmThreshold: probability
        .default(0.5)
        .describe('A reviewer confirms content whose explicitness score is at least this.'),
      metadataMinMinors: positiveCount(1_000_000)
        .default(5)
        .describe('A reviewer, who sees only the pattern, confirms a metadata flag with at least this many unconnected minors.'),
    })
    .prefault({}),
});

export type Scenario = z.output<typeof scenarioSchema> & { name: string };

export interface Problem {
  /** Dotted field path, e.g. `population.adults`; empty for the document itself. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Walks the schema to the object at `path`, to list the fields allowed there. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType = scenarioSchema;
  for (const key of [...path, null]) {
    // unwrap default / prefault / optional wrappers
    for (let i = 0; i < 5; i++) {
      const def = (node as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def;
      if (def.innerType) node = def.innerType;
      else break;
    }
    if (key === null) break;
    const shape = (node as unknown as { shape?: Record<string, z.ZodType> }).shape;
    const next = shape?.[String(key)];
    if (!next) return [];
    node = next;
  }
  const shape = (node as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.keys(shape) : [];
}

function position(doc: Document, counter: LineCounter, path: readonly PropertyKey[], key?: string): { line?: number; column?: number } {
  // Find the deepest node of the path that exists; for an unknown key, the key's own node.
  let parts = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  while (parts.length >= 0) {
    const node = parts.length === 0 ? doc.contents : doc.getIn(parts, true);
    if (isNode(node) && node.range) {
      let offset = node.range[0];
      if (key !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
        if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      } else if (parts.length > 0) {
        // Point at the key rather than the value where we can.
        const parent = parts.length === 1 ? doc.contents : doc.getIn(parts.slice(0, -1), true);
        if (isMap(parent)) {
          const last = parts[parts.length - 1];
          const pair = parent.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === last);
          if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
        }
      }
      const { line, col } = counter.linePos(offset);
      return { line, column: col };
    }
    if (parts.length === 0) break;
    parts = parts.slice(0, -1);
  }
  return {};
}

/**
 * Parses and validates scenario text. `file` is only used for the default name.
 * Returns every problem found, in document order.
 */
export function parseScenario(text: string, file: string): ScenarioResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          path: '',
          message: `not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `not valid YAML: ${(err as Error).message}` }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ path: '', message: 'the file is empty; a scenario needs at least seed, durationDays and population' }] };
  }
  return validateScenario(data, file, doc, counter);
}

/** Validates an already-parsed object (from YAML or JSON). */
export function validateScenario(data: unknown, file: string, doc?: Document, counter?: LineCounter): ScenarioResult {
  const parsed = scenarioSchema.safeParse(data, { reportInput: true });
  const problems: Problem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const allowed = allowedKeysAt(issue.path);
        for (const key of issue.keys) {
          problems.push({
            path: formatPath([...issue.path, key]),
            message: `unknown field "${key}"${allowed.length ? `; allowed here: ${allowed.join(', ')}` : ''}`,
            ...(doc && counter ? position(doc, counter, issue.path, key) : {}),
          });
        }
        continue;
      }
      problems.push({
        path: formatPath(issue.path),
        message: describeIssue(issue),
        ...(doc && counter ? position(doc, counter, issue.path) : {}),
      });
    }
  } else {
    const s = parsed.data;
    const offenders = s.population.offenders.sharers.count + s.population.offenders.groomers.count;
    if (offenders > s.population.adults) {
      problems.push({
        path: 'population.offenders',
        message: `${offenders} offenders but only ${s.population.adults} adults; offenders are drawn from the adults`,
        ...(doc && counter ? position(doc, counter, ['population', 'offenders']) : {}),
      });
    }
    const users = s.population.adults + s.population.minors;
    if (users > LIMITS.users) {
      problems.push({
        path: 'population',
        message: `${users} users in all; at most ${LIMITS.users} fit in one run's memory`,
        ...(doc && counter ? position(doc, counter, ['population']) : {}),
      });
    }
    if (s.traffic.contactsPerUser >= users) {
      problems.push({
        path: 'traffic.contactsPerUser',
        message: `must be less than the number of users (${users})`,
        ...(doc && counter ? position(doc, counter, ['traffic', 'contactsPerUser']) : {}),
      });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const name = parsed.data.name ?? defaultName(file);
  return { ok: true, scenario: { ...parsed.data, name } };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `required field is missing (expected ${EXPECTED[issue.expected] ?? issue.expected})`;
    if (issue.expected === 'int' && typeof received === 'number') return `must be a whole number, got ${received}`;
    return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(received)}`;
  }
  if (issue.code === 'too_small') {
    const min = Number(issue.minimum);
    return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  if (issue.code === 'too_big') {
    const max = Number(issue.maximum);
    return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  return issue.message;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function defaultName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(ya?ml|json)$/i, '') || 'scenario';
}

/** `file:line:col: path: message`, one line, for terminals and CI logs. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  return `${where}: ${p.path || '(document)'}: ${p.message}`;
}
