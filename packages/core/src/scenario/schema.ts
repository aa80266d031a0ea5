/**
 * The scenario file's schema: the one input an analyst writes. Every assumption of the
 * model is a field here, with its unit and default in the description; the code holds
 * no figures of its own. Each detection route contributes its block from its own
 * module (see routes/), the metadata route likewise for each rule.
 */
import { z } from 'zod';
import type { Surface } from '../vocabulary';
import { METADATA_RULES } from '../metadata/rules';
import { DEFAULT_REVIEW_PRIORITY, ROUTE_BLOCKS, ROUTES } from '../routes';
import { contentSchema } from './content';
import { LIMITS, count, positiveCount, printableText, probability, rate } from './fields';

const encryption = z.enum(['none', 'e2ee']);

/**
 * When an e2ee surface's encryption is switched on: from a day, over a ramp, account by
 * account (see world/rollout.ts). Meaningful with `encryption: e2ee` only.
 */
const rollout = (which: string) => ({
  fromDay: count(LIMITS.days)
    .default(0)
    .describe(
      'With encryption e2ee: days into the run when the rollout starts (0: encrypted from the start; 10: from the start of day 11). Must be less than durationDays. Messenger default E2EE rolled out from 6 Dec 2023 over several months (docs/model.md).',
    ),
  rampDays: count(LIMITS.days)
    .default(0)
    .describe(
      `With encryption e2ee: days over which the rollout reaches every account (0: all at once). Each account switches at fromDay + u * rampDays, u uniform in [0, 1) per account; the uniform ramp is an assumption. ${which} A ramp may run past the end of the run.`,
    ),
});

/** `review.priority` names each route at most once: a second place would be meaningless. */
function listedOnce(list: readonly string[], ctx: z.RefinementCtx): void {
  list.forEach((route, i) => {
    if (list.indexOf(route) < i) ctx.addIssue({ code: 'custom', path: [i], message: `${route} is listed twice; each route may appear at most once` });
  });
}

/** How an offender archetype's accounts come and go: the open population's offender side. */
const career = {
  accountLifetimeDays: rate(36_500)
    .gt(0)
    .default(60)
    .describe(
      "Mean days one of these offenders' accounts lasts before it ends of itself (abandoned, or closed for a reason other than the platform's own reports, which `enforcement` represents); exponential. Assumption.",
    ),
  returnShare: probability
    .default(0.5)
    .describe('Share of these offenders who, when an account ends, come back on a new account (a fresh account, young to the platform). Assumption.'),
  returnDelayDays: rate(36_500).default(2).describe('Mean days before a returning offender opens the new account (exponential). Assumption.'),
};

const publicActivityShare = probability
  .default(0.25)
  .describe(
    'Share of these offenders who also use the unencrypted surfaces (public posts, profile photos). With publicShare 0.9 about 22% of abusive images go there, so about 75% of detections come from messaging (Messenger 2018 share 65%, NCMEC estimate up to 70%; range worth sweeping 0.65-0.92, sources in docs/model.md). Assumption.',
  );

const imageOffender = (what: string, perDay: number) =>
  z
    .strictObject({
      count: count(LIMITS.users)
        .default(0)
        .describe(
          `Offenders (adults) who share ${what}: how many are active at any time (steady state; they arrive, leave and return on new accounts, see accountLifetimeDays).`,
        ),
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
      ...career,
    })
    .prefault({})
    .describe(`Offenders who share ${what}.`);

const groomers = z
  .strictObject({
    count: count(LIMITS.users)
      .default(0)
      .describe('Offenders (adults) who contact minors they are not connected to: how many are active at any time (steady state, see accountLifetimeDays).'),
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
    ...career,
  })
  .prefault({})
  .describe('Offenders who contact minors they are not connected to, in conversations that escalate over days.');

/**
 * Protections platforms describe for teens that need no content, so survive end-to-end
 * encryption: they act on what the envelope says (declared ages, whether the two are
 * connected) and on blocks. Each applies to DMs from an adult to a minor who is not
 * their contact.
 */
const protections = z
  .strictObject({
    teenDmLimit: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Minors receive no DMs from adults they are not connected to unless they accept the message request (Meta, January 2024: teens under 16, under 18 in some countries, by default get no DMs from accounts they are not connected to on Instagram and Messenger). Refused messages are never sent.',
          ),
        fromDay: count(LIMITS.days).default(0).describe('Day of the run (from 0) the limit starts on; 0: in force throughout. Assumption.'),
        requestAcceptShare: probability
          .default(0.1)
          .describe(
            'Share of (adult, minor) pairs whose message request the minor accepts; the same answer for every message of a pair, a fixed function of (seed, sender, recipient). Assumption.',
          ),
      })
      .prefault({})
      .describe('Teen DM limit: DMs from unconnected adults to minors need the minor to accept a message request.'),
    safetyPrompts: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'A minor who receives a DM from an adult they are not connected to sees a safety notice (Messenger, 21 May 2020: notices driven by behavioural signals such as an adult sending many requests to under-18s, designed to keep working under E2EE), and reacts to an abusive one with the probabilities below instead of detection.userReports.probability and blockProbability. The model shows a notice on every such DM, not only after a signal.',
          ),
        reportProbability: probability
          .default(0.06)
          .describe('Probability that a prompted minor reports an abusive message (0.03 unprompted, about twice that when prompted). Assumption.'),
        blockProbability: probability.default(0.2).describe('Probability that a prompted minor blocks the sender of an abusive message. Assumption.'),
      })
      .prefault({})
      .describe('Safety notices to minors messaged by unconnected adults: more reports and blocks.'),
    restrictions: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Adults blocked by minors can no longer DM minors they are not connected to (Meta, November 2022: adults a teen has blocked or reported are treated as suspicious, not recommended to teens, and the message button on a teen's profile is removed for them in a test). Refused messages are never sent.",
          ),
        minBlocks: positiveCount(1_000_000)
          .default(2)
          .describe(
            'Distinct minors who must have blocked an adult before the adult is restricted (from the time the last of those blocks is made). Assumption.',
          ),
      })
      .prefault({})
      .describe('Restrictions on adults that minors have blocked.'),
  })
  .prefault({})
  .describe('Platform protections for minors that read no content, so work under end-to-end encryption. All off by default.');

const surfacesBlock = z.strictObject({
  directMessages: z
    .strictObject({
      encryption: encryption.default('none').describe('none: the server can read DMs; e2ee: only the clients can.'),
      ...rollout('A DM is encrypted once both its sender and its recipient have switched (a conversation upgrades when both clients support it; assumption).'),
    })
    .prefault({})
    .describe('Direct messages between two accounts.'),
  publicPosts: z
    .strictObject({
      encryption: encryption.default('none').describe('Public posts are normally readable by the platform.'),
      ...rollout('A post is encrypted once its author has switched.'),
    })
    .prefault({})
    .describe('Public posts.'),
  profilePhotos: z
    .strictObject({
      encryption: encryption.default('none').describe('Profile and group photos are normally readable by the platform.'),
      ...rollout('A photo is encrypted once its owner has switched.'),
    })
    .prefault({})
    .describe('Profile and group photos.'),
});

const surfaces = surfacesBlock.prefault({}).describe("The platform's surfaces, whether each is end-to-end encrypted, and from when.");

const detectionBlock = z.strictObject({
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
  ...ROUTE_BLOCKS,
});

const detection = detectionBlock.prefault({}).describe('The detection routes; each is on or off, and the content routes per surface.');

const reviewBlock = z.strictObject({
  capacityPerDay: count(100_000_000)
    .default(20)
    .describe(
      'Flags the human review team can decide per simulated day; the rest waits. Assumption: the shipped scenarios set about 1.2x their daily flags without E2EE (range worth sweeping 0.5-3x, see docs/model.md).',
    ),
  confirmThreshold: probability.default(0.5).describe('A reviewer confirms content that looks at least this explicit.'),
  metadataMinRules: positiveCount(METADATA_RULES.length)
    .default(2)
    .describe('A reviewer, who sees only behaviour, confirms a metadata flag when at least this many different rules have fired for the account ...'),
  metadataMinStrength: z
    .number()
    .min(0)
    .max(1_000)
    .default(2)
    .describe("... or when one rule's count reached this multiple of its threshold. (The UK NCA: metadata alone will rarely justify a search warrant.)"),
  priority: z
    .array(z.enum(ROUTES))
    .max(ROUTES.length)
    .superRefine(listedOnce)
    .default(DEFAULT_REVIEW_PRIORITY)
    .describe('Review order of flags by route, most urgent first; routes left out come last. Within a route, oldest first.'),
});

const review = reviewBlock.prefault({}).describe('Human review of flags, in simulated time.');

/**
 * Several platforms in one world (see world/platforms.ts): the same people, each with an
 * account on one or more of them; each platform with its own surfaces, detection and
 * review, and its own reports to NCMEC. Without the list the world is one platform, set
 * by the top-level surfaces, detection and review.
 */
const platform = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'a name of letters, digits, - and _, starting with a letter, at most 40 characters')
      .describe("The platform's name in results and reports."),
    members: probability
      .default(1)
      .describe(
        'Share of the accounts (the people) who are on this platform; each person is on each platform independently, and on one at least (a person drawn on none is put on one, weighted by members). Assumption.',
      ),
    offenderShare: rate(1_000_000)
      .default(1)
      .describe(
        'Relative weight offenders give this platform when they choose where to act: each offender account acts on one platform, drawn with these weights, and sends all its messages there. Assumption.',
      ),
    surfaces: surfacesBlock.optional().describe("This platform's surfaces and their encryption; without it, the top-level surfaces."),
    detection: detectionBlock
      .optional()
      .describe(
        "This platform's detection routes; without it, the top-level detection. Its hashBank, and its userReports' probability, blockProbability, meanDelayHours and forgedPerDay, must be those of the top-level detection (left out, they are their defaults, so set them there): every platform matches against the same shared list, and those describe what users do.",
      ),
    review: reviewBlock.optional().describe("This platform's human review of flags; without it, the top-level review."),
  })
  .describe('One platform of the world.');

const displacement = z
  .strictObject({
    toEncrypted: probability
      .default(0)
      .describe(
        "Share of offenders who, opening an account once a platform's direct messages are being encrypted (from its rollout's fromDay), choose among the platforms whose DMs are then encrypted (weighted by offenderShare) rather than among all. So offenders whose accounts end, and come back, move this way, as do newcomers; accounts open before the rollout stay. 0 (the default) is no displacement. Assumption.",
      ),
  })
  .prefault({})
  .describe('Whether offenders move to platforms that encrypt. Off by default.');

const enforcement = z
  .strictObject({
    banReported: z
      .boolean()
      .default(true)
      .describe(
        "Whether the platform closes every account it files a report to NCMEC about (platforms ban the accounts they catch sharing abuse: WhatsApp over 2 million a month in 2019), delayDays after the report. An offender whose account is closed comes back on a new account as when an account ends (the archetype's returnShare and returnDelayDays); an innocent account closed this way does not come back. Off, reports close no account and accounts end only at their drawn lifetime.",
      ),
    delayDays: positiveCount(LIMITS.days)
      .default(1)
      .describe(
        'Days from the end of the review day a report is filed on to the closing of its account: a report filed at the end of day d closes the account at the start of day d + 1 + delayDays. Assumption.',
      ),
  })
  .prefault({})
  .describe('What the platform does to the accounts it reports: closes them (on by default).');

export const scenarioSchema = z.strictObject({
  name: printableText(200, { multiline: false }).min(1).optional().describe('A short name for the scenario; defaults to the file name without extension.'),
  description: printableText(10_000, { multiline: true }).optional().describe('Free text: what this scenario is for.'),
  seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Seed of every random draw: the same scenario and seed always give the same result.'),
  durationDays: positiveCount(LIMITS.days).describe('Length of the simulated period, in days.'),
  burnInDays: count(LIMITS.days)
    .default(0)
    .describe(
      'Days at the start that warm the world up: everything happens in them, but the headline counts of the result count only what happens from this day on (per-day series keep every day). Must be less than durationDays.',
    ),
  population: z
    .strictObject({
      adults: positiveCount(LIMITS.users).describe('Adult accounts (including offenders and look-alikes).'),
      minors: count(LIMITS.users).describe('Accounts of under-18s, whose declared age the platform knows.'),
      communitySize: positiveCount(LIMITS.users)
        .default(150)
        .describe('Average size of a community (school, club, neighbourhood); most contacts are made inside one.'),
      accountAgeDays: rate(36_500)
        .gt(0)
        .default(700)
        .describe(
          'Mean lifetime, in days, of an ordinary account (exponential): accounts close at this rate and as many new ones join, so adults and minors are the accounts open at any time. In steady state it is also the mean age of open accounts. Assumption.',
        ),
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
          viralSharers: z
            .strictObject({
              perMillionPerDay: rate(1_000_000)
                .default(0)
                .describe(
                  'Forwards of viral abuse images per million open accounts per day, by innocent users sharing them in outrage or poor humour (Meta 2021: more than 75% of 150 accounts it reported showed no malicious intent). Assumption.',
                ),
              viralImages: positiveCount(1_000)
                .default(6)
                .describe('Distinct viral images (known, in the hash bank) those forwards carry (Meta 2021: six videos were over half of its reports).'),
              publicShare: probability.default(0.2).describe('Share of those forwards posted publicly rather than sent by DM to a contact. Assumption.'),
            })
            .prefault({})
            .describe('Innocent users who forward a viral abuse image: abusive content, innocent account.'),
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
  surfaces,
  content: contentSchema,
  detection,
  protections,
  review,
  reporting: z
    .strictObject({
      incidentWindowDays: positiveCount(LIMITS.days)
        .default(7)
        .describe(
          "Days an incident (one CyberTip) covers from its first detection: the account's later detections inside the window join it as evidence; a detection after it opens a new incident. Assumption.",
        ),
      bundleViral: z
        .boolean()
        .default(true)
        .describe(
          'Count incidents whose only evidence is hash matches of one bank entry, filed within bundleWindowDays, as one incident (NCMEC bundles viral reports since 2024).',
        ),
      bundleWindowDays: positiveCount(LIMITS.days)
        .default(30)
        .describe('Days a bundle of viral incidents stays open for more incidents of its bank entry, from the first one filed. Assumption.'),
    })
    .prefault({})
    .describe('How reports to NCMEC are cut into incidents and bundled.'),
  platforms: z
    .array(platform)
    .min(1)
    .max(8)
    .optional()
    .describe(
      'The platforms of the world, when there are several (at most 8): each with its own surfaces, detection and review. Without it, one platform set by the top-level blocks.',
    ),
  displacement,
  enforcement,
  police: z
    .strictObject({
      triage: z
        .strictObject({
          offenderRelevant: probability
            .default(0.9)
            .describe('Probability that police triage judges a referral about an offender criminally relevant. Assumption.'),
          innocentRelevant: probability
            .default(0.05)
            .describe('Probability that police triage judges a referral about an innocent account criminally relevant. Assumption.'),
        })
        .prefault({})
        .describe('Triage of referrals: each incident is judged criminally relevant or not.'),
      capacityPerDay: rate(1_000_000)
        .default(0.7)
        .describe(
          'Investigations police can open per simulated day (fractions accrue: 0.7 is seven every ten days); relevant referrals wait in a queue, first filed first. Assumption: set so that the shipped plaintext scenario gets about 3% of its referrals investigated, as in Ireland 2020 (160 of 6,959).',
        ),
      arrestRate: probability
        .default(0.5)
        .describe('Probability that an investigation of an offender ends in an arrest; investigations of innocent accounts never do. Assumption.'),
    })
    .prefault({})
    .describe('What police do with the incidents referred to them.'),
});

/**
 * A parsed scenario. `platform`: in a world of several platforms, the one whose events a
 * run emits (set by world/platforms.ts forPlatform, never written in a file; 0 when absent).
 */
export type Scenario = z.output<typeof scenarioSchema> & { name: string; platform?: number };

/** Which surfaces the scenario encrypts end to end, from the start or from its rollout on (see world/rollout.ts). */
export function encryptedSurfaces(scenario: Pick<Scenario, 'surfaces'>): Record<Surface, boolean> {
  const s = scenario.surfaces;
  return { dm: s.directMessages.encryption === 'e2ee', public: s.publicPosts.encryption === 'e2ee', profile: s.profilePhotos.encryption === 'e2ee' };
}
