/**
 * The scenario: its schema (./schema, composed from the route and rule registries), its
 * parsing and problem reports (./problems), and the memory model (./memory).
 */

export { LIMITS } from './fields';
export type { ContentModel } from './content';
export { encryptedSurfaces, scenarioSchema, type Scenario } from './schema';
export {
  describeIssue,
  formatProblem,
  parseScenario,
  parseScenarioYaml,
  position,
  validateScenario,
  type Problem,
  type ScenarioResult,
  type YamlResult,
} from './problems';
export { accountSlots, contactPairs } from './pairs';
export { forPlatform, platformsOf, WORLD_USER_REPORT_FIELDS, type PlatformSettings } from './platforms';
export {
  estimateMemory,
  formatBytes,
  memoryProblem,
  readableShare,
  type MemoryCheckOptions,
  type MemoryEstimate,
  type MemoryOptions,
} from './memory';
