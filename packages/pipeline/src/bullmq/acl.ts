/**
 * The Redis ACL users of a deployment: one per service, one for the dashboard and one for
 * the command line, each allowed the keys its code touches and nothing else. They are made
 * from the key layout (keys.ts) and the queue wiring (queues.ts), so a key that moves
 * moves its grants with it; `blindspot acl` prints them, compose loads them
 * (ops/redis/users.acl, checked against this module by a test), and a test runs a whole
 * scenario with every process as its own user and no refusal.
 *
 * What matters most: only the generator reads a run's client secret; the ground truth
 * (the ledger) is written by the generator (through a script, so it may read it too: it
 * made it) and read by the reporter; the platform
 * key is written by the generator and read by the reporter; the reporter's state (with
 * the accounts it closes) is written by the reporter and read by the generator. The scanner, the metadata
 * detector and the dashboard reach none of them; the command line may delete them (to
 * clean up a finished run) but not read them.
 *
 * Redis checks a key pattern against every key a command names, and, in a Lua script,
 * against every command the script runs. EVAL and EVALSHA need read and write on the
 * keys they declare (Redis cannot tell what a script does with them), so a reader of
 * BullMQ's queues (its counts are scripts) is given the queue's keys with read commands
 * only: a write inside a script is then refused like any other.
 */
import { SERVICES, type ServiceName } from '../config';
import { SERVICE_QUEUES } from './queues';
import {
  QUEUES,
  cancelledKeyPattern,
  partitionPrefixes,
  partitionsKey,
  policeKeyPattern,
  queueKeyPattern,
  runKeyPattern,
  runNamespacePattern,
  stageKeyPattern,
  type QueueName,
  type RunKeyName,
} from './keys';

/** Everyone who connects to a deployment's Redis: the services, the dashboard and the command line. */
export const ACL_ROLES = [...SERVICES, 'dashboard', 'cli'] as const;
export type AclRole = (typeof ACL_ROLES)[number];

/** The Redis user each role connects as. */
export function aclUser(role: AclRole): string {
  return role;
}

/** The environment variable compose reads a role's password from (and, for `default`, the administrator's). */
export function passwordVariable(user: AclRole | 'default'): string {
  return user === 'default' ? 'REDIS_PASSWORD' : `REDIS_PASSWORD_${user.toUpperCase().replaceAll('-', '_')}`;
}

/** Choices a deployment makes that change what a user may do. */
export interface AclOptions {
  /** The dashboard's DASHBOARD_QUEUE_ACTIONS=true: Bull Board may retry, promote and remove jobs, so it writes the queues (and nothing else). */
  dashboardQueueActions?: boolean;
  /** The deployment's BLINDSPOT_PARTITIONS (default 1): each partition's keys are granted alike. */
  partitions?: number;
}

/** Read, write (which includes DEL and EXPIRE), or both. */
export type Access = 'R' | 'W' | 'RW';

export interface KeyGrant {
  pattern: string;
  access: Access;
}

export interface RoleAccess {
  /** Key patterns, with the role's full command set. */
  keys: KeyGrant[];
  /** Key patterns the role may only read, even through BullMQ's scripts (a selector with read commands). */
  readOnly: string[];
  /** Commands and categories, in order. */
  commands: readonly string[];
}

/**
 * Every command but the server's own controls: @dangerous (CONFIG, FLUSHALL, KEYS,
 * MONITOR, DEBUG, ACL, CLIENT LIST and KILL, SHUTDOWN, replication, modules) and
 * @scripting (FUNCTION, FCALL, SCRIPT FLUSH and KILL), then back what BullMQ and
 * ioredis need: EVALSHA for BullMQ's Lua scripts, EVAL when one is not cached yet,
 * SCRIPT EXISTS and LOAD, which ioredis sends before a pipeline that runs one, and
 * INFO, which BullMQ reads the server's version from (and the connection whether the
 * server is a cluster node), and CLUSTER SLOTS, INFO and NODES, from which a client of a
 * Redis Cluster learns which node holds which keys. Pub/sub reaches no channel
 * (resetchannels). The key patterns do the real work: whatever a command is, it
 * touches only the keys the role is given; a list of single commands would be no
 * safer, and would break on the first path of BullMQ's scripts a test did not take.
 */
const CLUSTER_MAP = ['+cluster|slots', '+cluster|info', '+cluster|nodes'] as const;
const ALL_COMMANDS = ['+@all', '-@dangerous', '-@scripting', '+eval', '+evalsha', '+script|load', '+script|exists', '+info', ...CLUSTER_MAP] as const;
/** What a reader needs: read commands, the connection's own (PING, CLIENT SETNAME), and BullMQ's scripts, which can then only read. */
const READ_COMMANDS = ['+@read', '+@connection', '-@dangerous', '+eval', '+evalsha', '+script|load', '+script|exists', '+info', ...CLUSTER_MAP] as const;
/**
 * The dashboard's: a reader's; CLIENT LIST, by which Bull Board tells whether a queue
 * has workers (it shows the connections' names, addresses and last commands, no key and
 * no value); and MULTI and EXEC, in which the live view reads a poll's keys at one
 * instant (a transaction of reads writes nothing).
 */
const DASHBOARD_COMMANDS = [...READ_COMMANDS, '+client|list', '+multi', '+exec', '+discard'] as const;

const grant = (pattern: string, access: Access): KeyGrant => ({ pattern, access });

/**
 * The keys of a run every service reads (loadRun, and how far the run got, to tell a
 * lost batch: lost-batch.ts) and writes (a fatal error, the jobs it dead-lettered). Its
 * writes go through a script that refuses them once the run is cancelled (cancel.ts),
 * which declares the cancelled marker and the keys it writes: read and write.
 */
function serviceRunKeys(prefix: string): KeyGrant[] {
  const run = (name: RunKeyName, access: Access) => grant(runKeyPattern(prefix, name), access);
  return [
    run('scenario', 'R'),
    run('file', 'R'),
    run('options', 'R'),
    run('definitionAuth', 'R'),
    run('generated', 'R'),
    run('error', 'RW'),
    run('deadLettered', 'RW'),
    grant(cancelledKeyPattern(prefix), 'RW'),
    // Whether a refused batch has reached the stage that consumes it (lost-batch.ts).
    grant(stageKeyPattern(prefix, 'metadata', 'inbox'), 'R'),
    grant(stageKeyPattern(prefix, 'metadata', 'next'), 'R'),
    grant(stageKeyPattern(prefix, 'reporter', 'inbox'), 'R'),
    grant(stageKeyPattern(prefix, 'reporter', 'next'), 'R'),
  ];
}

/**
 * A service's queues: those it consumes, those it feeds (the ones its gauges watch,
 * SERVICE_QUEUES), and the dead letters, which any of them may add to.
 */
function serviceQueues(prefix: string, name: ServiceName): KeyGrant[] {
  const { consumes, watches } = SERVICE_QUEUES[name];
  const queues = new Set<QueueName>([...consumes, ...watches, QUEUES.deadLetter]);
  return [...queues].map((q) => grant(queueKeyPattern(prefix, q), 'RW'));
}

/** What each service touches beyond the common keys, from its stage (services/<name>/src/stage.ts). */
function stageKeys(prefix: string, name: ServiceName): KeyGrant[] {
  const run = (key: RunKeyName, access: Access) => grant(runKeyPattern(prefix, key), access);
  switch (name) {
    case 'generator':
      // Creates the run's secrets (SET NX) and reads them back; writes the ledger and its
      // record of the run through scripts (cancel.ts), which need read and write.
      return [
        run('clientSecret', 'RW'),
        run('platformKey', 'RW'),
        run('ledger', 'RW'),
        run('ledgerParts', 'RW'),
        run('generated', 'RW'),
        run('timeline', 'RW'),
        run('progress', 'RW'),
        run('pickups', 'RW'),
        // Enforcement: the accounts each reviewed day closes, which the reporter commits
        // beside its state and the world needs before it plays the next day. The
        // generator holds the ground truth already; the review state tells it nothing more.
        grant(stageKeyPattern(prefix, 'reporter', 'state'), 'R'),
      ];
    case 'scanner':
      return [];
    case 'metadata-detector':
      return [grant(stageKeyPattern(prefix, 'metadata'), 'RW')];
    case 'reporter':
      // The ordered stage's commit script declares the result and the police sink as its keys: read and write.
      return [
        run('platformKey', 'R'),
        run('ledger', 'R'),
        run('deadLettered', 'RW'),
        grant(stageKeyPattern(prefix, 'reporter'), 'RW'),
        run('result', 'RW'),
        grant(policeKeyPattern(prefix), 'RW'),
      ];
  }
}

/**
 * What the live view reads (services/dashboard/src/live.ts) and Bull Board shows: every
 * queue, read-only unless its job actions are on.
 */
function dashboardAccess(prefix: string, queueActions: boolean): RoleAccess {
  const run = (key: RunKeyName) => grant(runKeyPattern(prefix, key), 'R');
  return {
    keys: [
      run('scenario'),
      run('options'),
      run('progress'),
      run('generated'),
      run('result'),
      run('error'),
      grant(stageKeyPattern(prefix, 'metadata', 'next'), 'R'),
      grant(stageKeyPattern(prefix, 'reporter', 'next'), 'R'),
      grant(stageKeyPattern(prefix, 'reporter', 'inbox'), 'R'),
      grant(policeKeyPattern(prefix), 'R'),
      // EVALSHA needs both on the keys it declares; READ_COMMANDS keep the scripts to reading.
      ...Object.values(QUEUES).map((q) => grant(queueKeyPattern(prefix, q), 'RW')),
    ],
    readOnly: [],
    // Every command then, but the keys of the runs are still only readable (%R~).
    commands: queueActions ? [...ALL_COMMANDS, '+client|list'] : DASHBOARD_COMMANDS,
  };
}

/**
 * The command line (orchestrate.ts, and `load`): submits a run (its definition, a job on
 * the generate queue), waits on its result, error and progress, reads the latency
 * figures (`load`), samples the depth of the queues in between, deletes the finished
 * run's keys, its secrets included (it may delete them, not read them), and cancels a
 * run it gives up on (cancel.ts): sets its marker, deletes its keys and removes its
 * queued jobs from every queue of the pipeline.
 */
function cliAccess(prefix: string): RoleAccess {
  const run = (key: RunKeyName, access: Access) => grant(runKeyPattern(prefix, key), access);
  return {
    keys: [
      run('result', 'R'),
      run('error', 'R'),
      run('progress', 'R'),
      run('timeline', 'R'),
      grant(stageKeyPattern(prefix, 'reporter', 'state'), 'R'),
      grant(runNamespacePattern(prefix, 'run'), 'W'),
      grant(runNamespacePattern(prefix, 'secret'), 'W'),
      grant(cancelledKeyPattern(prefix), 'W'),
      ...[QUEUES.generate, QUEUES.scan, QUEUES.metadata, QUEUES.report].map((q) => grant(queueKeyPattern(prefix, q), 'RW')),
    ],
    readOnly: [],
    commands: [...ALL_COMMANDS, '-@blocking'],
  };
}

/** The keys and commands `role` is allowed in one partition, whose prefix is `prefix`. */
function partitionAccess(prefix: string, role: AclRole, options: AclOptions): RoleAccess {
  if (role === 'dashboard') return dashboardAccess(prefix, options.dashboardQueueActions ?? false);
  if (role === 'cli') return cliAccess(prefix);
  // The generator looks up, for a batch whose id was refused, whether its scan result is on the report queue (lost-batch.ts).
  const readOnly = role === 'generator' ? [queueKeyPattern(prefix, QUEUES.report)] : [];
  return { keys: [...serviceRunKeys(prefix), ...stageKeys(prefix, role), ...serviceQueues(prefix, role)], readOnly, commands: ALL_COMMANDS };
}

/**
 * The keys and commands `role` is allowed in the deployment under `prefix`: the same in
 * every partition (keys.ts), and the record of how many there are, which every process
 * checks and all but the dashboard may make (partitions.ts).
 */
export function roleAccess(prefix: string, role: AclRole, options: AclOptions = {}): RoleAccess {
  const parts = partitionPrefixes(prefix, options.partitions ?? 1).map((p) => partitionAccess(p, role, options));
  const first = parts[0] as RoleAccess;
  return {
    keys: [...parts.flatMap((p) => p.keys), grant(partitionsKey(prefix), role === 'dashboard' ? 'R' : 'RW')],
    readOnly: parts.flatMap((p) => p.readOnly),
    commands: first.commands,
  };
}

/** Grants of one pattern merged (a read and a write make both), in the order first given. */
function merged(keys: readonly KeyGrant[]): KeyGrant[] {
  const byPattern = new Map<string, Set<'R' | 'W'>>();
  for (const { pattern, access } of keys) {
    const set = byPattern.get(pattern) ?? new Set();
    for (const a of access === 'RW' ? (['R', 'W'] as const) : [access]) set.add(a);
    byPattern.set(pattern, set);
  }
  return [...byPattern].map(([pattern, set]) => grant(pattern, set.size === 2 ? 'RW' : ([...set][0] as Access)));
}

const keyRule = ({ pattern, access }: KeyGrant) => `${access === 'RW' ? '' : `%${access}`}~${pattern}`;

/**
 * The ACL rules of `role` under `prefix`, for ACL SETUSER or a line of an ACL file,
 * without a password: from a clean slate (reset), enabled, no pub/sub channel.
 */
export function aclRules(prefix: string, role: AclRole, options: AclOptions = {}): string[] {
  const access = roleAccess(prefix, role, options);
  const rules = ['reset', 'on', 'resetchannels', ...access.commands, ...merged(access.keys).map(keyRule)];
  if (access.readOnly.length > 0) rules.push(`(${[...access.readOnly.map((p) => `~${p}`), ...READ_COMMANDS].join(' ')})`);
  return rules;
}

/** The administrator (Redis's `default` user): every key, channel and command, for operators and health checks. */
const ADMIN_RULES = ['reset', 'on', '~*', '&*', '+@all'];

/**
 * The users of a deployment as ACL file lines: the administrator (`default`) first,
 * then one user per role. A password, where given, is appended (`>password`); without
 * one a user cannot log in until one is added (ops/redis/start.sh adds each from the
 * environment, hashed).
 */
export function aclUsers(prefix: string, passwords: Partial<Record<AclRole | 'default', string>> = {}, options: AclOptions = {}): string[] {
  const line = (user: string, rules: string[], password: string | undefined) => ['user', user, ...rules, ...(password ? [`>${password}`] : [])].join(' ');
  return [line('default', ADMIN_RULES, passwords.default), ...ACL_ROLES.map((role) => line(aclUser(role), aclRules(prefix, role, options), passwords[role]))];
}

/** The ACL file of a deployment, as `blindspot acl` prints it: what it is, in comments, then aclUsers without passwords. */
export function aclFile(prefix: string, options: AclOptions = {}): string {
  const partitions = options.partitions ?? 1;
  const command = `blindspot acl --prefix ${prefix}${partitions > 1 ? ` --partitions ${partitions}` : ''}${options.dashboardQueueActions ? ' --dashboard-queue-actions' : ''}`;
  const header = [
    `# The Redis ACL users of a Blindspot deployment with the prefix ${prefix}${partitions > 1 ? ` in ${partitions} partitions` : ''}, made from`,
    '# its key layout by',
    `#   ${command}`,
    '# (make it again when the layout changes). It holds no password: ops/redis/start.sh',
    "# loads it, adding each user's password, hashed, from the environment:",
    ...['default' as const, ...ACL_ROLES].map((user) => `#   ${user.padEnd(18)} ${passwordVariable(user)}${user === 'default' ? ' (the administrator)' : ''}`),
    '# Redis reads no comments: give it this file through that script.',
  ];
  return `${[...header, ...aclUsers(prefix, {}, options)].join('\n')}\n`;
}
