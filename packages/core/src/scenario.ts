/**
 * The scenario file: the one input an analyst writes. Every assumption of the model is
 * a field here, with its unit and default in the description; the code holds no
 * figures of its own.
 *
 * Parsing never throws on bad input: it returns every problem with the field path and,
 * where the file has one, the line and column.
 */
import { LineCounter, Parser, parseDocument, isMap, isNode, type CST, type Document } from 'yaml';
import { z } from 'zod';
import { HASH_BITS, HASH_BYTES } from './hash';
import { INDEX_FROM_ENTRIES } from './hash-index';
import { SURFACES, type Surface } from './vocabulary';

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
  /**
   * Contact pairs (about users × contactsPerUser / 2, plus offender networks and mentors'
   * classes): the population keeps them in one JavaScript Set, which holds at most 2^24.
   */
  contactPairs: 16_777_216,
  /** Characters in a scenario file (the shipped ones have about 6,000). */
  textChars: 1_000_000,
  /** Levels of nested mappings and lists in a scenario file (a scenario needs 5). */
  nesting: 32,
} as const;

/** Surfaces of the platform. DMs are the encryptable one; the others are public by nature. */
export type SurfaceKey = Surface;
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
        .describe(
          'Share of their DMed abusive images that go to another offender (offender networks trade among themselves; offenders never report). Assumption.',
        ),
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
        startShare: probability.default(0.02).describe("Share of a groomer's messages to a target that are abusive on the first day of the conversation."),
        endShare: probability.default(0.3).describe('... rising linearly to this share on its last day. Assumption.'),
      })
      .prefault({})
      .describe('How a grooming conversation escalates: the share of abusive messages from its first to its last day.'),
    imageShare: probability.default(0.15).describe("Share of a groomer's abusive messages that are images rather than text (new imagery, in no bank)."),
    newAccountShare,
  })
  .prefault({})
  .describe('Offenders who contact minors they are not connected to, in conversations that escalate over days.');

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(200).optional().describe('A short name for the scenario; defaults to the file name without extension.'),
  description: z.string().max(10_000).optional().describe('Free text: what this scenario is for.'),
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Seed of every random draw: the same scenario and seed always give the same result.'),
  durationDays: positiveCount(LIMITS.days).describe('Length of the simulated period, in days.'),
  population: z
    .strictObject({
      adults: positiveCount(LIMITS.users).describe('Adult accounts (including offenders and look-alikes).'),
      minors: count(LIMITS.users).describe('Accounts of under-18s, whose declared age the platform knows.'),
      communitySize: positiveCount(LIMITS.users)
        .default(150)
        .describe('Average size of a community (school, club, neighbourhood); most contacts are made inside one.'),
      accountAgeDays: rate(36_500).default(700).describe('Mean age, in days, of accounts that exist when the run starts (exponential).'),
      newAccountShare: probability.default(0.02).describe('Share of ordinary accounts created during the run (the platform sees their young account age).'),
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
              minorsEach: positiveCount(100_000).default(25).describe("Minors in each mentor's class or team."),
              messagesPerDay: rate(1_000).default(4).describe('DMs each mentor sends to members of the class per day (Poisson mean).'),
              connectedShare: probability.default(0.5).describe("Share of class members who are the mentor's contacts on the platform."),
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
      communityShare: probability.default(0.8).describe("Share of contacts made inside the user's own community."),
      sameAgeGroupShare: probability.default(0.85).describe("Share of contacts outside the community that are in the user's own age group (adult or minor)."),
      unconnectedShare: probability.default(0.02).describe('Share of ordinary DMs sent to someone who is not a contact.'),
      popularImageShare: probability.default(0.05).describe('Share of ordinary images that are copies of popular images (memes) circulating on the platform.'),
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
    .describe("The platform's surfaces and whether each is end-to-end encrypted."),
  content: z
    .strictObject({
      images: z
        .strictObject({
          abusive: feature([0.56, 0.2], [0.85, 0.12], 'an abusive image'),
          benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign image'),
          borderlineShare: probability
            .default(0.0005)
            .describe(
              'Share of benign images that classifiers score like abuse (adult content, beach photos): their score is drawn as for abusive images, their look stays benign-ish.',
            ),
          lowQualityShare: probability
            .default(0.05)
            .describe('Share of images whose hash quality is below 50 (blurred, tiny, heavily compressed). Assumption.'),
        })
        .prefault({})
        .describe(
          'Image features. Defaults: at threshold 0.51 the image classifier has recall about 0.6 and false-positive rate about 1e-3 (Safer, reported).',
        ),
      text: z
        .strictObject({
          grooming: feature([0.6, 0.2], [0.8, 0.15], 'an abusive (grooming) message'),
          benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign message'),
          borderlineShare: probability
            .default(0.0005)
            .describe('Share of benign messages that classifiers score like grooming (flirting between adults, banter).'),
        })
        .prefault({})
        .describe(
          'Text features. Defaults: at threshold 0.51 the grooming classifier has recall about 0.7 and false-positive rate about 1e-3 (PAN-2012; FPR assumption).',
        ),
    })
    .prefault({})
    .describe(
      'What content looks like: observable features whose distribution depends on the hidden truth. Classifiers see `score`, human reviewers see `look`.',
    ),
  detection: z
    .strictObject({
      hashBank: z
        .strictObject({
          size: positiveCount(LIMITS.bankSize).default(2_000).describe('Entries in the hash bank of known abuse images.'),
          perturbationBits: count(256).default(8).describe('Mean number of bits a re-shared copy differs from its bank entry (light edits, re-encoding).'),
          editedBeyondMatchShare: probability
            .default(0.05)
            .describe(
              'Share of re-shared copies edited so heavily that they fall beyond the match distance: hash-match recall on known items about 0.95 (assumption).',
            ),
          wronglyListedShare: probability
            .default(0.0001)
            .describe(
              'Share of bank entries that are wrongly listed benign images, drawn from the popular images (weakly curated lists; HMA false-match floods). Assumption.',
            ),
        })
        .prefault({})
        .describe('The hash bank of known abuse images the platform matches against (PDQ-style 256-bit hashes).'),
      hashMatching: z
        .strictObject({
          enabled: z.boolean().default(true).describe('Server-side matching of readable images against the hash bank.'),
          surfaces: surfaceList(['dm', 'public', 'profile'], 'hash matching'),
          matchDistance: count(256).default(31).describe("Largest Hamming distance (bits of 256) counted as a match; 31 is PDQ's recommended threshold."),
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
              windowHours: z
                .number()
                .positive()
                .max(24 * LIMITS.days)
                .default(72)
                .describe('... within a sliding window of this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: adults messaging many minors they are not connected to.'),
          newAccountBurst: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              maxAccountAgeDays: rate(36_500)
                .default(14)
                .describe('Flag an account younger than this many days (WhatsApp 2019: message rate right after registration) ...'),
              minMessages: positiveCount(1_000_000).default(40).describe('... that sends at least this many messages ...'),
              windowHours: z
                .number()
                .positive()
                .max(24 * LIMITS.days)
                .default(48)
                .describe('... within this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: young accounts sending many messages.'),
          imagesToMinors: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              minImages: positiveCount(1_000_000)
                .default(6)
                .describe('Flag an adult who sends at least this many images to minors they are not connected to ...'),
              windowHours: z
                .number()
                .positive()
                .max(24 * LIMITS.days)
                .default(72)
                .describe('... within this many simulated hours.'),
            })
            .prefault({})
            .describe('Rule: adults sending many images to minors they are not connected to.'),
          blocksAndReports: z
            .strictObject({
              enabled: z.boolean().default(true).describe('Whether this rule runs.'),
              minAccounts: positiveCount(1_000_000)
                .default(3)
                .describe('Flag an account blocked or reported by at least this many distinct accounts (Meta 2022: accounts teens blocked or reported) ...'),
              windowHours: z
                .number()
                .positive()
                .max(24 * LIMITS.days)
                .default(168)
                .describe('... within this many simulated hours.'),
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
            .describe(
              'The platform acts on user reports (a report hands over the plaintext, so this works under encryption). Users report either way, and reports still feed the blocksAndReports rule.',
            ),
          probability: probability
            .default(0.03)
            .describe(
              'Probability that the (non-offender) recipient of an abusive message reports it. Assumption, consistent with 96-99.6% proactive detection (Meta).',
            ),
          blockProbability: probability.default(0.1).describe('Probability that a minor who receives an abusive message blocks the sender.'),
          meanDelayHours: z
            .number()
            .min(0)
            .max(24 * 365)
            .default(6)
            .describe('Mean delay between receiving and reporting, in hours.'),
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
            .describe("The server can open an account's vouchers only once it holds at least this many matches (threshold secret sharing; Apple: 30)."),
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
        .describe("... or when one rule's count reached this multiple of its threshold. (The UK NCA: metadata alone will rarely justify a search warrant.)"),
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

/** Control characters (line breaks included) would split a problem's one line: such keys are quoted. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : CONTROL.test(String(p)) ? escapeControl(JSON.stringify(String(p))) : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Text from the file inside a library's message, with control characters written as escapes. */
function escapeControl(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A key as a message quotes it: escaped, and cut short if long. */
function quoteKey(key: string): string {
  return escapeControl(JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key));
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
  // Bounded before the YAML parser sees the text: a huge file costs time and memory to
  // parse, and a deeply nested one overflows the stack (see nestedTooDeep).
  if (text.length > LIMITS.textChars) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `the file has ${text.length} characters; a scenario file may have at most ${LIMITS.textChars} (the shipped ones have about 6,000)`,
        },
      ],
    };
  }
  const deep = nestedTooDeep(text);
  if (deep) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `mappings and lists are nested more than ${LIMITS.nesting} levels deep here; a scenario needs at most 5`,
          line: deep.line,
          column: deep.col,
        },
      ],
    };
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: distinct(
        doc.errors.map((e) => {
          const pos = e.linePos?.[0];
          // The library's words, but where they address a programmer, the analyst's.
          const what =
            e.code === 'MULTIPLE_DOCS'
              ? 'the file holds more than one YAML document (a "---" or "..." line after content); a scenario is one document'
              : escapeControl((e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''));
          return {
            path: '',
            message: `not valid YAML: ${what}`,
            ...(pos ? { line: pos.line, column: pos.col } : {}),
          };
        }),
      ),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // yaml throws here when aliases expand past maxAliasCount ("billion laughs").
    const message = /alias count/i.test((err as Error).message)
      ? 'aliases (*name) expand to too much data; a scenario may repeat an anchored part (&name) at most 100 times in all'
      : escapeControl((err as Error).message);
    return { ok: false, problems: [{ path: '', message: `not valid YAML: ${message}` }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ path: '', message: 'the file is empty; a scenario needs at least seed, durationDays and population' }] };
  }
  return validateScenario(data, file, doc, counter);
}

/**
 * Where the file's mappings and lists first nest deeper than LIMITS.nesting, or null.
 * The YAML library composes a document recursively, one call per level: a few
 * thousand levels (`[[[[...`) overflow the stack. It reports that as a parse error,
 * but a stack overflow can also land inside V8's regular-expression compiler, which
 * aborts the whole process (a fatal out-of-memory error no try/catch sees), e.g. on the
 * second such file `validate` reads. So depth is measured first, on the parser's
 * concrete syntax tree, which is built without recursion and walked here with a stack.
 */
function nestedTooDeep(text: string): { line: number; col: number } | null {
  const counter = new LineCounter();
  // Tokens still to visit, last pushed first: pushed in reverse, they come in file order.
  const todo: [CST.Token | null | undefined, number][] = [...new Parser(counter.addNewLine).parse(text)].reverse().map((t) => [t, 0]);
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [token, depth] = next;
    if (!token) continue;
    if (token.type === 'document') todo.push([token.value, depth]);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= LIMITS.nesting) return counter.linePos(token.offset);
      for (let i = token.items.length - 1; i >= 0; i--) {
        const item = token.items[i];
        todo.push([item?.value, depth + 1], [item?.key, depth + 1]);
      }
    }
  }
  return null;
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
            message: `unknown field ${quoteKey(key)}${allowed.length ? `; allowed here: ${allowed.join(', ')}` : ''}`,
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
    // The population keeps its contact pairs in one Set, which fails past 2^24 entries.
    const pairs = contactPairs({ ...s, name: '' });
    if (pairs > LIMITS.contactPairs) {
      problems.push({
        path: 'traffic.contactsPerUser',
        message: `${users} users with ${s.traffic.contactsPerUser} contacts each make up to ${pairs} contact pairs; one run holds at most ${LIMITS.contactPairs}: reduce traffic.contactsPerUser or the population`,
        ...(doc && counter ? position(doc, counter, ['traffic', 'contactsPerUser']) : {}),
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
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: distinct(problems) };
  const name = parsed.data.name ?? defaultName(file);
  return { ok: true, scenario: { ...parsed.data, name } };
}

/**
 * Each problem once. The YAML library can report one flaw several times at one place,
 * and zod two checks of one value with the same words (`1e400` is neither a safe whole
 * number nor within the maximum).
 */
function distinct(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
  // YAML tags make these (!!timestamp, !!binary); they are not mappings of fields.
  if (value instanceof Date) return 'a date';
  if (ArrayBuffer.isView(value)) return 'binary data';
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

// --- memory -------------------------------------------------------------------------------

/**
 * Bytes of memory per item, measured on Node 20 (64-bit Linux) by running
 * `blindspot run <file> --json` under `/usr/bin/time -v` on 2 cores (one sealing thread)
 * and fitting the maximum RSS against the scenario's sizes (defaults unless said;
 * "few messages" is 0.05 per user and day, for 1 day):
 *
 *   scenario                                            measured   estimated
 *   40 users, few messages                                167 MB      170 MB
 *   e2ee.yaml: 4,000 users, 30 days, 1.1M messages        266 MB      262 MB
 *   500k users, 5M contact pairs, few messages            895 MB      906 MB
 *   500k users, 1.25M pairs, few messages                 513 MB      539 MB
 *   125k users, 5M pairs, few messages                    697 MB      711 MB
 *   1.6M users, 16M pairs, few messages                   2.0 GB      2.4 GB
 *   5M users, 7.5M pairs, few messages                    2.6 GB      3.3 GB
 *   4,000 users, hash bank of 2M                          641 MB      627 MB
 *   the same with client-side scanning                    1.1 GB      1.1 GB
 *   4,000 users, hash bank of 8M                          1.8 GB      1.9 GB
 *   10,000 users, 10 days, 10.9M messages, 1M abusive     643 MB      712 MB
 *   200k users, 5 days, 8M messages                       981 MB      1.0 GB
 *   1M users, 1 day, 8M messages                          3.0 GB      3.0 GB
 *
 * The world thread's JavaScript heap (the --max-old-space-size at which the run still
 * completes, against heapBytes): 500k users and 5M pairs 450-600 MB (613 MB), 1.6M and
 * 16M pairs 1.4-1.8 GB (1.8 GB), 5M and 7.5M pairs 2.0-2.4 GB (2.5 GB).
 */
const BYTES = {
  /** Node, the program and its modules (with tsx), before any scenario. */
  process: 125 * 2 ** 20,
  /** Each worker thread (sealing and scanning, or a sweep's run). */
  thread: 45 * 2 ** 20,
  /** Per account: contact list objects, kind, creation time, community, shuffles. */
  user: 500,
  /** Per contact pair: the Set entry (often a heap number) and both sides' list entries. */
  contactPair: 100,
  /** Per hash: 256 bits. */
  hash: HASH_BYTES,
  /** Per bank entry in a multi-index: 16 tables of entry ids. */
  indexEntry: 16 * 4,
  /** Per multi-index: 16 offset tables of 2^16 + 1 entries, and one being filled. */
  index: 17 * (2 ** 16 + 1) * 4,
  /** Per bank entry, with client-side scanning: the server's token → entry map. */
  voucherToken: 90,
  /** Per id kept in a growing list (8 bytes and room to grow). */
  id: 12,
  /** Per detected message: its id in the run's list and in the final set the result is built from. */
  detection: 52,
  /** Per encrypted conversation: the clients' nonce counter (a Map entry). */
  conversation: 70,
  /** Per open review flag or per account with behavioural windows. */
  account: 300,
  /** The world thread's live JavaScript heap before any scenario. */
  heap: 40 * 2 ** 20,
} as const;

/** Share of the population's memory that is JavaScript heap at its peak, while it is built. */
const HEAP_SHARE = 0.8;
/** ... and that stays alive in the heap while the run goes on (measured: 0.45-0.5). */
const LIVE_SHARE = 0.5;

/**
 * While messages flow, the run makes garbage at full speed and V8 lets the world's heap
 * grow past what stays alive: by about CHURN times the live heap (200k users, 8M
 * messages: 175 MB alive, a 981 MB peak), but by no more than CHURN_CAP (1M users, 8M
 * messages: 750 MB alive, 1.4 GB more). Fully so from CHURN_MESSAGES messages on.
 */
const CHURN = 3;
const CHURN_CAP = 1.4 * 2 ** 30;
const CHURN_MESSAGES = 2e6;

/** Mean Hamming distance and its spread between unrelated 256-bit hashes (binomial 256, 1/2). */
const RANDOM_DISTANCE = { mean: HASH_BITS / 2, sd: Math.sqrt(HASH_BITS) / 2 };

/** P(X ≥ x) for X normal (sd 0: a step). Abramowitz & Stegun 7.1.26, error below 1e-7. */
function upperTail(x: number, mean: number, sd: number): number {
  if (!(sd > 0)) return mean >= x ? 1 : 0;
  const z = (x - mean) / (sd * Math.SQRT2);
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Share of scores (clipped to 0..1) at or above a threshold. */
function shareAbove(threshold: number, d: { mean: number; sd: number }): number {
  return threshold <= 0 ? 1 : threshold > 1 ? 0 : upperTail(threshold, d.mean, d.sd);
}

export interface MemoryOptions {
  /**
   * Threads that seal and scan besides the one that plays the world: an embedded run
   * uses one per core but one (at least one); 0 for a run on a single thread (as each
   * run of a sweep is). Default 1.
   */
  scanThreads?: number;
}

export interface MemoryEstimate {
  /** Peak memory of one run (resident set), in bytes. */
  bytes: number;
  /** What it is made of, in bytes: runtime, population, hash bank, popular images, message records. */
  parts: Record<string, number>;
  /**
   * The JavaScript heap the thread that plays the world needs at least: Node stops the
   * run ("heap out of memory") past its heap limit, however much memory the machine has.
   */
  heapBytes: number;
  /** What that heap holds, in bytes: runtime, population, message records. */
  heapParts: Record<string, number>;
}

/** Contact pairs the population may hold at most: the contacts, offender networks and mentors' classes. */
export function contactPairs(scenario: Scenario): number {
  const p = scenario.population;
  const users = p.adults + p.minors;
  const m = p.lookalikes.mentors;
  const ring = p.offenders.sharers.count + p.offenders.producers.count;
  return Math.round((users * scenario.traffic.contactsPerUser) / 2) + 5 * ring + m.count * Math.min(m.minorsEach, p.minors);
}

/**
 * About how much memory one embedded run of the scenario needs at its peak. What
 * scales: the population (per account and per contact pair); the hash bank and the
 * popular images (one copy for the world and one per scanner, with a multi-index per
 * scanner from INDEX_FROM_ENTRIES entries, and token maps with client-side scanning);
 * and the records that grow with the traffic: the ids of abusive messages (ledger) and
 * of detected ones (true and false positives), open review flags, behavioural windows
 * and, under encryption, the clients' per-conversation counters. The messages
 * themselves stream through in batches and do not add up. Rough and on the high side
 * for the largest populations (see BYTES for the calibration).
 */
export function estimateMemory(scenario: Scenario, options: MemoryOptions = {}): MemoryEstimate {
  const threads = Math.max(0, Math.floor(options.scanThreads ?? 1));
  // Scanner contexts: the run's own (built on the world's thread) and one per thread.
  const scanners = threads === 0 ? 1 : threads + 1;
  const p = scenario.population;
  const o = p.offenders;
  const t = scenario.traffic;
  const d = scenario.detection;
  const users = p.adults + p.minors;
  const days = scenario.durationDays;
  const pairs = contactPairs(scenario);

  const population = users * BYTES.user + pairs * BYTES.contactPair;

  const size = d.hashBank.size;
  const css = d.clientSideScanning.enabled;
  const index = size >= INDEX_FROM_ENTRIES ? size * BYTES.indexEntry + BYTES.index : 0;
  const hashBank =
    (1 + scanners) * size * BYTES.hash + // the world's copy and each scanner's
    scanners * index +
    (css ? index + scanners * size * BYTES.voucherToken : 0); // the clients' matcher, the servers' token maps
  const popularImages = (1 + scanners) * t.popularImages * BYTES.hash;

  // Traffic over the whole run, by surface.
  const ordinary = users * t.messagesPerUserPerDay * days;
  const publicPosts = ordinary * t.publicPostShare;
  const profilePhotos = (users * t.profilePhotoChangesPerMonth * days) / 30;
  const g = o.groomers;
  const groomerMessages = g.count * g.newTargetsPerDay * g.conversationDays * g.messagesPerTargetPerDay * days;
  const mentorMessages = p.lookalikes.mentors.count * p.lookalikes.mentors.messagesPerDay * days;
  const dms = ordinary - publicPosts + groomerMessages + mentorMessages;
  const abusive =
    (o.sharers.count * o.sharers.abusiveImagesPerDay + o.producers.count * o.producers.abusiveImagesPerDay) * days +
    groomerMessages * ((g.escalation.startShare + g.escalation.endShare) / 2);
  const messages = ordinary + profilePhotos + groomerMessages + mentorMessages + abusive;

  // Detections of benign content: every readable item a content route flags.
  const encrypted: Record<SurfaceKey, boolean> = {
    dm: scenario.surfaces.directMessages.encryption === 'e2ee',
    public: scenario.surfaces.publicPosts.encryption === 'e2ee',
    profile: scenario.surfaces.profilePhotos.encryption === 'e2ee',
  };
  const images: Record<SurfaceKey, number> = { dm: dms * t.mediaShare, public: publicPosts * t.mediaShare, profile: profilePhotos };
  const texts: Record<SurfaceKey, number> = { dm: dms * (1 - t.mediaShare), public: publicPosts * (1 - t.mediaShare), profile: 0 };
  const readable = (route: { enabled: boolean; surfaces: SurfaceKey[] }, items: Record<SurfaceKey, number>) =>
    route.enabled ? [...new Set(route.surfaces)].reduce((n, s) => n + (encrypted[s] ? 0 : items[s]), 0) : 0;
  const c = scenario.content;
  const imageShare =
    (1 - c.images.borderlineShare) * shareAbove(d.imageClassifier.threshold, c.images.benign.score) +
    c.images.borderlineShare * shareAbove(d.imageClassifier.threshold, c.images.abusive.score);
  const textShare =
    (1 - c.text.borderlineShare) * shareAbove(d.textClassifier.threshold, c.text.benign.score) +
    c.text.borderlineShare * shareAbove(d.textClassifier.threshold, c.text.grooming.score);
  // Unrelated hashes within the match distance (only a very wide distance matches them).
  const hashShare = upperTail(-(d.hashMatching.matchDistance + 0.5), -RANDOM_DISTANCE.mean, RANDOM_DISTANCE.sd);
  const detections =
    abusive + readable(d.imageClassifier, images) * imageShare + readable(d.textClassifier, texts) * textShare + readable(d.hashMatching, images) * hashShare;
  // Open flags: at most one per account and route.
  const flags = Math.min(users * 5, detections);
  // Behavioural windows: accounts that send while young, and adults who DM minors they are not connected to.
  const m = d.metadata;
  const youngShare = Math.min(1, p.newAccountShare + m.newAccountBurst.maxAccountAgeDays / Math.max(1, p.accountAgeDays));
  const young = Math.min(users * youngShare, (ordinary + profilePhotos) * youngShare);
  const approaching = Math.min(p.adults, dms * t.unconnectedShare * (p.minors / Math.max(1, users)) + g.count + p.lookalikes.mentors.count);
  const watched = m.enabled ? Math.min(users, young + approaching) : 0;
  // Under encryption the clients count messages per conversation.
  const conversations = (encrypted.dm ? Math.min(dms, pairs + dms * t.unconnectedShare) : 0) + (encrypted.public ? users : 0) + (encrypted.profile ? users : 0);
  const records = abusive * BYTES.id + detections * BYTES.detection + (flags + watched) * BYTES.account + conversations * BYTES.conversation;

  // The world's heap grows past what stays alive in it while messages flow; each part
  // carries its share of that growth.
  const live = BYTES.heap + LIVE_SHARE * population + records;
  const churn = Math.min(1, messages / CHURN_MESSAGES) * Math.min(CHURN, CHURN_CAP / live);
  const parts: Record<string, number> = {
    runtime: BYTES.process + threads * BYTES.thread + churn * BYTES.heap,
    population: population * (1 + churn * LIVE_SHARE),
    'hash bank': hashBank,
    'popular images': popularImages,
    'message records': records * (1 + churn),
  };
  const bytes = Object.values(parts).reduce((a, b) => a + b, 0);
  const heapParts: Record<string, number> = { runtime: BYTES.heap, population: HEAP_SHARE * population, 'message records': records };
  return { bytes, parts, heapBytes: Object.values(heapParts).reduce((a, b) => a + b, 0), heapParts };
}

/** What to reduce for each part of the estimate, and the field a problem points at. */
const REDUCE: Record<string, { path: string; fields: string }> = {
  population: { path: 'population', fields: 'population.adults, population.minors or traffic.contactsPerUser' },
  'hash bank': { path: 'detection.hashBank.size', fields: 'detection.hashBank.size' },
  'popular images': { path: 'traffic.popularImages', fields: 'traffic.popularImages' },
  'message records': { path: 'durationDays', fields: 'durationDays or traffic.messagesPerUserPerDay' },
};

/** Bytes as an analyst reads them: `950 MB`, `9.6 GB` (binary units, as `free` and `top` count). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'more than any machine has';
  if (bytes >= 10 * 2 ** 40) return `${Math.round(bytes / 2 ** 40).toLocaleString('en-US')} TB`;
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 2 ** 20))} MB`;
}

export interface MemoryCheckOptions extends MemoryOptions {
  /** Runs of scenarios this size at once (a sweep's worker threads). Default 1. */
  runsAtOnce?: number;
  /** Who sets the limit, before its size: default "this machine has". */
  limitName?: string;
  /** Said after the advice when the scenario exceeds `availableBytes`, e.g. how to change the limit. */
  limitHint?: string;
  /** The JavaScript heap limit of one thread (v8.getHeapStatistics().heap_size_limit); unchecked if not given. */
  heapLimitBytes?: number;
}

/**
 * A problem if one run of the scenario (or `runsAtOnce` of them) would need more memory
 * than `availableBytes`, or its world more JavaScript heap than `heapLimitBytes`, naming
 * what takes the memory and the fields to reduce; null if it fits.
 */
export function memoryProblem(scenario: Scenario, availableBytes: number, options: MemoryCheckOptions = {}): Problem | null {
  const runs = Math.max(1, Math.floor(options.runsAtOnce ?? 1));
  const estimate = estimateMemory(scenario, options);
  const needed = estimate.bytes * runs;
  const overHeap = options.heapLimitBytes !== undefined && estimate.heapBytes > options.heapLimitBytes;
  if (needed <= availableBytes && !overHeap) return null;
  // The parts worth naming: a tenth of the total or more, largest first.
  const big = Object.entries(estimate.parts)
    .filter(([, b]) => b * runs >= needed / 10)
    .sort((a, b) => b[1] - a[1]);
  const reducible = big.flatMap(([name]) => REDUCE[name] ?? []);
  const listed = big.map(([n, b]) => `${n} ${formatBytes(b)}`).join(', ');
  const reduce =
    reducible.length > 0
      ? `reduce ${reducible.map((r) => r.fields).join(', or ')}`
      : 'even the smallest scenario needs this much; run it on a machine with more memory';
  if (needed > availableBytes) {
    const what = runs > 1 ? ` for ${runs} runs at once (each ${listed})` : ` (${listed})`;
    return {
      path: reducible[0]?.path ?? '',
      message: `this scenario needs about ${formatBytes(needed)} of memory${what} but ${options.limitName ?? 'this machine has'} ${formatBytes(availableBytes)}; ${reduce}${options.limitHint ?? ''}`,
    };
  }
  // Within the machine's memory, but past what Node lets one thread's heap hold: the
  // population and the records live there.
  const heapParts = Object.entries(estimate.heapParts)
    .filter(([name, b]) => REDUCE[name] && b >= estimate.heapBytes / 10)
    .sort((a, b) => b[1] - a[1])
    .map(([name]) => REDUCE[name] as { path: string; fields: string });
  return {
    path: heapParts[0]?.path ?? '',
    message: `this scenario needs about ${formatBytes(estimate.heapBytes)} of JavaScript heap in one thread but Node allows ${formatBytes(
      options.heapLimitBytes as number,
    )}; reduce ${heapParts.map((r) => r.fields).join(', or ')}, or give Node more: NODE_OPTIONS=--max-old-space-size=<megabytes>`,
  };
}

/** `file:line:col: path: message`, one line, for terminals and CI logs. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  return `${where}: ${p.path || '(document)'}: ${p.message}`;
}
