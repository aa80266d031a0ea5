/** `blindspot acl`: the Redis ACL users of a deployment, one per service and one for the command line. */
import { DEFAULT_PREFIX } from '@blindspot/pipeline/config';
import * as opt from '../options';
import { defineCommand } from './command';

export const aclCommand = defineCommand({
  name: 'acl',
  summary: 'print the Redis ACL users of a deployment, each allowed only the keys it needs',
  usage: ['acl [--prefix <{tag}>] [--partitions <n>] [--dashboard-queue-actions]'],
  about: `Prints an ACL file (without passwords) with a Redis user for each service, the\ndashboard and the command line, made from the key layout: only the generator reads a\nrun's client secret, only the reporter its ground truth. Compose loads it from\nops/redis/users.acl (the prefix ${DEFAULT_PREFIX}) through ops/redis/start.sh, which adds\nthe passwords from the environment.`,
  operands: { min: 0, max: 0, problem: 'acl takes no operands, e.g. blindspot acl --prefix {blindspot}' },
  options: { prefix: opt.prefix, partitions: opt.partitions, dashboardQueueActions: opt.dashboardQueueActions },
  async run(v) {
    // BullMQ takes a while to load: only now.
    const { aclFile } = await import('@blindspot/pipeline/bullmq');
    process.stdout.write(aclFile(v.prefix, { dashboardQueueActions: v.dashboardQueueActions, partitions: v.partitions }));
    return 0;
  },
});
