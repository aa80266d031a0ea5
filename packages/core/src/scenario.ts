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

/** Surfaces of the platform. DMs are the encryptable one; the others are public by nature. */
export const SURFACES = ['dm', 'public', 'profile'] as const;
export type SurfaceKey = (typeof SURFACES)[number];
const surfaceList = (fallback: SurfaceKey[], what: string) =>
  z
    .array(z.enum(SURFACES))
    .max(SURFACES.length)
    .default(fallback)
    .describe(`Surfaces ${what} runs on: any of dm (direct messages), public (public posts), profile (profile and group photos).`);

const normal = (mean: number, sd: number, what: string) =>
  z
    .strictObject({
      mean: z.number().min(-10).max(10).default(mean).describe(`Mean of ${what} (a score on 0..1; draws are clipped to 0..1).`),
      sd: z.number().min(0).max(10).default(sd).describe(`Standard deviation of ${what}.`),
    })
    .prefault({})
    .describe(`Normal distribution of ${what}.`);

const feature = (score: [number, number], look: [number, number], what: string) =>
  z
    .strictObject({
      score: normal(score[0], score[1], `the classifier's score for ${what}`),
      look: normal(look[0], look[1], `how explicit ${what} looks to a human reviewer`),
    })
    .prefault({})
    .describe(`Observable features of ${what}.`);

const newAccountShare = probability
  .default(0.3)
  .describe('Share of these offenders whose account is created during the run (they start acting the day it is created).');

const publicActivityShare = probability
  .default(0.25)
  .describe(
    'Share of these offenders who also use the unencrypted surfaces (public posts, profile photos). With publicShare 0.9 about 22% of abusive images go there, so about 75% of detections come from messaging (Messenger 2018 share 65%, NCMEC estimate up to 70%, range 0.65-0.92 in DOMAIN).',
  );

const imageOffender = (what: string, perDay: number) =>
  z
    .strictObject({
      count: count(LIMITS.users).default(0).describe(`Offenders (adults) who share ${what}.`),
      abusiveImagesPerDay: rate(1_000).default(perDay).describe('Abusive images each of them sends per simulated day (Poisson mean). Assumption.'),
      ringShare: probability
        .default(0.9)
        .describe('Share of their DMed abusive images that go to another offender (offender networks trade among themselves; offenders never report). Assumption.'),
      publicActivityShare,
      publicShare: probability
        .default(0.9)
        .describe('For an offender who uses the public surfaces: probability that a given abusive image goes there rather than to a DM. Assumption.'),
      newAccountShare,
    })
    .prefault({})
    .describe(`Offenders who share ${what}.`);

const groomers = z
  .strictObject({
    count: count(LIMITS.users).default(0).describe('Offenders (adults) who contact minors they are not connected to.'),
    newTargetsPerDay: rate(1_000).default(1.2).describe('Unconnected minors each groomer starts contacting per simulated day (Poisson mean). Assumption.'),
    messagesPerTargetPerDay: rate(1_000).default(3).describe('Messages a groomer sends each active target per simulated day (Poisson mean). Assumption.'),
    conversationDays: positiveCount(LIMITS.days).default(6).describe('Days a groomer keeps messaging a target.'),
    escalation: z
      .strictObject({
        startShare: probability.default(0.02).describe('Share of a groomer\'s messages to a target that are abusive on the first day of the conversation.'),
        endShare: probability.default(0.3).describe('... rising linearly to this share on its last day. Assumption.'),
      })
      .prefault({})
      .describe('How a grooming conversation escalates: the share of abusive messages from its first to its last day.'),
    imageShare: probability.default(0.15).describe('Share of a groomer\'s abusive messages that are images rather than text (new imagery, in no bank).'),
    newAccountShare,
  })
  .prefault({})
  .describe('Offenders who contact minors they are not connected to, in conversations that escalate over days.');

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
    adults: positiveCount(LIMITS.users).describe('Adult accounts (including offenders and look-alikes).'),
    minors: count(LIMITS.users).describe('Accounts of under-18s, whose declared age the platform knows.'),
    communitySize: positiveCount(LIMITS.users)
      .default(150)
      .describe('Average size of a community (school, club, neighbourhood); most contacts are made inside one.'),
    accountAgeDays: rate(36_500).default(700).describe('Mean age, in days, of accounts that exist when the run starts (exponential).'),
    newAccountShare: probability
      .default(0.02)
      .describe('Share of ordinary accounts created during the run (the platform sees their young account age).'),
    offenders: z
      .strictObject({
        sharers: imageOffender('known abuse images (lightly edited re-shares of hash-bank items)', 2),
        producers: imageOffender('new abuse images that are in no hash bank', 0.5),
        groomers,
      })
      .prefault({})
      .describe('Offender archetypes; each is drawn from the adults.'),
    lookalikes: z
      .strictObject({
        mentors: z
          .strictObject({
            count: count(LIMITS.users).default(0).describe('Innocent adults (teachers, coaches) who legitimately message many minors.'),
            minorsEach: positiveCount(100_000).default(25).describe('Minors in each mentor\'s class or team.'),
            messagesPerDay: rate(1_000).default(4).describe('DMs each mentor sends to members of the class per day (Poisson mean).'),
            connectedShare: probability.default(0.5).describe('Share of class members who are the mentor\'s contacts on the platform.'),
            imageShare: probability.default(0.2).describe('Share of those DMs that carry an image (benign: team photos, worksheets).'),
          })
          .prefault({})
          .describe('Teachers and coaches: innocent adults who message the minors of a class or team.'),
      })
      .prefault({})
      .describe('Innocent accounts that look like offenders to some detector: the source of false positives.'),
  })
  .describe('Who is on the platform: adults and minors, communities, account ages, offenders and look-alikes.'),
  traffic: z
    .strictObject({
      messagesPerUserPerDay: rate(LIMITS.messagesPerUserPerDay)
        .default(8)
        .describe('Ordinary messages (DMs and posts) each user sends per simulated day, on average.'),
      mediaShare: probability.default(0.3).describe('Share of ordinary messages that carry an image.'),
      publicPostShare: probability.default(0.15).describe('Share of ordinary messages that are public posts rather than DMs.'),
      profilePhotoChangesPerMonth: rate(1_000).default(0.5).describe('Profile or group photo changes per user per 30 days (unencrypted surface).'),
      contactsPerUser: rate(10_000).default(20).describe('Average number of contacts (connections) per user.'),
      communityShare: probability.default(0.8).describe('Share of contacts made inside the user\'s own community.'),
      sameAgeGroupShare: probability
        .default(0.85)
        .describe('Share of contacts outside the community that are in the user\'s own age group (adult or minor).'),
      unconnectedShare: probability.default(0.02).describe('Share of ordinary DMs sent to someone who is not a contact.'),
      popularImageShare: probability
        .default(0.05)
        .describe('Share of ordinary images that are copies of popular images (memes) circulating on the platform.'),
      popularImages: positiveCount(10_000_000).default(2_000).describe('Number of distinct popular images.'),
      blocksPerUserPerMonth: rate(1_000).default(0.05).describe('Blocks an ordinary user makes per 30 days for ordinary reasons (noise for the block rule).'),
    })
    .prefault({})
    .describe('Ordinary traffic: what every user does, offenders included.'),
  surfaces: z
    .strictObject({
      directMessages: z
        .strictObject({ encryption: encryption.default('none').describe('none: the server can read DMs; e2ee: only the clients can.') })
        .prefault({})
        .describe('Direct messages between two accounts.'),
      publicPosts: z
        .strictObject({ encryption: encryption.default('none').describe('Public posts are normally readable by the platform.') })
        .prefault({})
        .describe('Public posts.'),
      profilePhotos: z
        .strictObject({ encryption: encryption.default('none').describe('Profile and group photos are normally readable by the platform.') })
        .prefault({})
        .describe('Profile and group photos.'),
    })
    .prefault({})
    .describe('The platform\'s surfaces and whether each is end-to-end encrypted.'),
  content: z
    .strictObject({
      images: z
        .strictObject({
          abusive: feature([0.56, 0.2], [0.85, 0.12], 'an abusive image'),
          benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign image'),
          borderlineShare: probability
            .default(0.0005)
            .describe('Share of benign images that classifiers score like abuse (adult content, beach photos): their score is drawn as for abusive images, their look stays benign-ish.'),
          lowQualityShare: probability
            .default(0.05)
            .describe('Share of images whose hash quality is below 50 (blurred, tiny, heavily compressed). Assumption.'),
        })
        .prefault({})
        .describe('Image features. Defaults: at threshold 0.51 the image classifier has recall about 0.6 and false-positive rate about 1e-3 (Safer, reported).'),
      text: z
        .strictObject({
          grooming: feature([0.6, 0.2], [0.8, 0.15], 'an abusive (grooming) message'),
          benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign message'),
          borderlineShare: probability.default(0.0005).describe('Share of benign messages that classifiers score like grooming (flirting between adults, banter).'),
        })
        .prefault({})
        .describe('Text features. Defaults: at threshold 0.51 the grooming classifier has recall about 0.7 and false-positive rate about 1e-3 (PAN-2012; FPR assumption).'),
    })
    .prefault({})
    .describe('What content looks like: observable features whose distribution depends on the hidden truth. Classifiers see `score`, human reviewers see `look`.'),
  detection: z
    .strictObject({
      hashBank: z
        .strictObject({
          size: positiveCount(LIMITS.bankSize).default(2_000).describe('Entries in the hash bank of known abuse images.'),
          perturbationBits: count(256)
            .default(8)
            .describe('Mean number of bits a re-shared copy differs from its bank entry (light edits, re-encoding).'),
          editedBeyondMatchShare: probability
            .default(0.05)
            .describe('Share of re-shared copies edited so heavily that they fall beyond the match distance: hash-match recall on known items about 0.95 (assumption).'),
          wronglyListedShare: probability
            .default(0.0001)
            .describe('Share of bank entries that are wrongly listed benign images, drawn from the popular images (weakly curated lists; HMA false-match floods). Assumption.'),
        })
        .prefault({})
        .describe('The hash bank of known abuse images the platform matches against (PDQ-style 256-bit hashes).'),
      hashMatching: z
        .strictObject({
          enabled: z.boolean().default(true).describe('Server-side matching of readable images against the hash bank.'),
          surfaces: surfaceList(['dm', 'public', 'profile'], 'hash matching'),
          matchDistance: count(256)
            .default(31)
            .describe('Largest Hamming distance (bits of 256) counted as a match; 31 is PDQ\'s recommended threshold.'),
          minQuality: z.int().min(0).max(100).default(50).describe('Hashes of lower quality are discarded unmatched (PDQ: below 50).'),
        })
        .prefault({})
        .describe('Route: server-side hash matching of readable images against the bank.'),
      imageClassifier: z
        .strictObject({
          enabled: z.boolean().default(true).describe('A classifier scoring readable images for abuse (new imagery included).'),
          surfaces: surfaceList(['dm', 'public', 'profile'], 'the image classifier'),
          threshold: probability.default(0.51).describe('Images scoring at least this are flagged.'),
        })
        .prefault({})
        .describe('Route: an image classifier scoring readable images.'),
      textClassifier: z
        .strictObject({
          enabled: z.boolean().default(true).describe('A classifier scoring readable text for grooming.'),
          surfaces: surfaceList(['dm', 'public', 'profile'], 'the grooming text classifier'),
          threshold: probability.default(0.51).describe('Messages scoring at least this are flagged.'),
        })
        .prefault({})
        .describe('Route: a grooming classifier scoring readable text.'),
      metadata: z
        .strictObject({
          enabled: z.boolean().default(true).describe('Behavioural rules over envelopes, blocks and reports; they work under encryption.'),
          unconnectedMinors: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              minMinors: positiveCount(1_000_000)
                .default(5)
                .describe('Flag an adult who DMs at least this many distinct minors they are not connected to (Messenger 2020) ...'),
              windowHours: z.number().positive().max(24 * LIMITS.days).default(72).describe('... within a sliding window of this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: adults messaging many minors they are not connected to.'),
          newAccountBurst: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              maxAccountAgeDays: rate(36_500).default(14).describe('Flag an account younger than this many days (WhatsApp 2019: message rate right after registration) ...'),
              minMessages: positiveCount(1_000_000).default(40).describe('... that sends at least this many messages ...'),
              windowHours: z.number().positive().max(24 * LIMITS.days).default(48).describe('... within this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: young accounts sending many messages.'),
          imagesToMinors: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              minImages: positiveCount(1_000_000).default(6).describe('Flag an adult who sends at least this many images to minors they are not connected to ...'),
              windowHours: z.number().positive().max(24 * LIMITS.days).default(72).describe('... within this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: adults sending many images to minors they are not connected to.'),
          blocksAndReports: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              minAccounts: positiveCount(1_000_000).default(3).describe('Flag an account blocked or reported by at least this many distinct accounts (Meta 2022: accounts teens blocked or reported) ...'),
              windowHours: z.number().positive().max(24 * LIMITS.days).default(168).describe('... within this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: accounts many others block or report.'),
        })
        .prefault({})
        .describe('Route: behavioural rules over envelopes, blocks and reports in sliding windows of simulated time.'),
      userReports: z
        .strictObject({
          enabled: z
            .boolean()
            .default(true)
            .describe('The platform acts on user reports (a report hands over the plaintext, so this works under encryption). Users report either way, and reports still feed the blocksAndReports rule.'),
          probability: probability
            .default(0.03)
            .describe('Probability that the (non-offender) recipient of an abusive message reports it. Assumption, consistent with 96-99.6% proactive detection (Meta).'),
          blockProbability: probability.default(0.1).describe('Probability that a minor who receives an abusive message blocks the sender.'),
          meanDelayHours: z.number().min(0).max(24 * 365).default(6).describe('Mean delay between receiving and reporting, in hours.'),
          franking: z
            .boolean()
            .default(true)
            .describe('Message franking: reports are verified against the commitment the platform countersigned at delivery; forged reports are rejected.'),
          forgedPerDay: rate(1_000_000).default(0.5).describe('Forged reports per day: malicious users reporting innocent accounts with fabricated content.'),
        })
        .prefault({})
        .describe('Route: reports by recipients, who hold the plaintext.'),
      clientSideScanning: z
        .strictObject({
          enabled: z.boolean().default(false).describe('Clients hash images before encrypting and attach safety vouchers (Apple 2021).'),
          surfaces: surfaceList(['dm'], 'client-side scanning'),
          threshold: positiveCount(1_000_000)
            .default(30)
            .describe('The server can open an account\'s vouchers only once it holds at least this many matches (threshold secret sharing; Apple: 30).'),
        })
        .prefault({})
        .describe('Route: client-side scanning with safety vouchers (Apple 2021).'),
    })
    .prefault({})
    .describe('The detection routes; each is on or off, and the content routes per surface.'),
  review: z
    .strictObject({
      capacityPerDay: count(100_000_000)
        .default(20)
        .describe('Flags the human review team can decide per simulated day; the rest waits (DOMAIN: 1.2x the expected daily flags without E2EE).'),
      confirmThreshold: probability.default(0.5).describe('A reviewer confirms content that looks at least this explicit.'),
      metadataMinRules: positiveCount(4)
        .default(2)
        .describe('A reviewer, who sees only behaviour, confirms a metadata flag when at least this many different rules have fired for the account ...'),
      metadataMinStrength: z
        .number()
        .min(0)
        .max(1_000)
        .default(2)
        .describe('... or when one rule\'s count reached this multiple of its threshold. (The UK NCA: metadata alone will rarely justify a search warrant.)'),
      priority: z
        .array(z.enum(['hashMatch', 'clientSideScanning', 'imageClassifier', 'userReport', 'textClassifier', 'metadata']))
        .default(['hashMatch', 'clientSideScanning', 'userReport', 'imageClassifier', 'textClassifier', 'metadata'])
        .describe('Review order of flags by route, most urgent first; routes left out come last. Within a route, oldest first.'),
    })
    .prefault({})
    .describe('Human review of flags, in simulated time.'),
  referral: z
    .strictObject({
      investigationRate: probability.default(0.03).describe('Share of referrals police investigate (Ireland 2020: 160 of 6,959).'),
    })
    .prefault({})
    .describe('What happens to reports once filed.'),
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
    const o = s.population.offenders;
    const special = o.sharers.count + o.producers.count + o.groomers.count + s.population.lookalikes.mentors.count;
    if (special > s.population.adults) {
      problems.push({
        path: 'population.offenders',
        message: `${special} offenders and look-alikes but only ${s.population.adults} adults; they are drawn from the adults`,
        ...(doc && counter ? position(doc, counter, ['population', 'offenders']) : {}),
      });
    }
    const mentors = s.population.lookalikes.mentors;
    if (mentors.count > 0 && mentors.minorsEach > s.population.minors) {
      problems.push({
        path: 'population.lookalikes.mentors.minorsEach',
        message: `a class of ${mentors.minorsEach} minors, but the population has only ${s.population.minors}`,
        ...(doc && counter ? position(doc, counter, ['population', 'lookalikes', 'mentors', 'minorsEach']) : {}),
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
