/**
 * The BullMQ transport: generic machinery only. Stage bindings live in each service's
 * entry point, so a service reaches exactly the core modules its stage needs.
 */
export * from './keys';
export { createCluster, createRedis, keyServers, openRedis, redactorFor, reportErrors, scanKeys, waitForRedis, type RedisClient } from './connection';
export { redactUrl, redactorForUrl, safeMessage } from '../redact';
export { Queues, QUEUE_CATALOG, SERVICE_QUEUES, type JobData, type ConsumedQueue } from './queues';
export { OrderedStage, RUN_KEY_TTL_SECONDS, type OrderedStageSpec, type Applied } from './ordered';
export { exitOnCrash, serviceMain, startService, SHUTDOWN_BOUND_MS, WiringError, type ServiceContext, type RunningService, type JobHandler } from './service';
export { layoutOf, loadRun, SmallCache, type RunSpec } from './runs';
export { readProgress, sumProgress, type GroupProgress } from './progress';
export { RunCancelledError, cancelRun, isCancelled, writeUnlessCancelled, writeUnlessCancelledThen, type GuardedWrite } from './cancel';
export { lookUpRefusals, lostAtEnqueue } from './lost-batch';
export * from './wire';
export { deadLetterOf, keepDeadLetters } from './dead-letters';
export { PartitionsMismatch, agreePartitions } from './partitions';
export type { Queue, Job } from 'bullmq';
export { UnrecoverableError } from 'bullmq';
export { ACL_ROLES, aclFile, aclRules, aclUser, aclUsers, passwordVariable, roleAccess, type AclOptions, type AclRole, type RoleAccess } from './acl';
