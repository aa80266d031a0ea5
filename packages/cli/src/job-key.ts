/**
 * The job key a command signs its runs with (BLINDSPOT_JOB_KEY; see the pipeline's
 * authenticator). Services the command starts itself get the key it uses: from the
 * environment, or a fresh one for this invocation. Services running elsewhere
 * (--external-services) were given theirs: the command must be given the same one.
 */
import { JOB_KEY_REMEDY, JobAuthenticator, jobKeyProblem, newJobKey } from '@blindspot/pipeline/authenticator';

const NAME = 'BLINDSPOT_JOB_KEY';

/** What is wrong with the environment's job key for a run over BullMQ, or null. Never quotes the key. */
export function jobKeyProblemFor(externalServices: boolean, env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[NAME];
  if (value === undefined || value === '') {
    return externalServices ? `${NAME}: required with --external-services: the key the services were given; ${JOB_KEY_REMEDY}` : null;
  }
  const problem = jobKeyProblem(value);
  return problem ? `${NAME} ${problem}` : null;
}

/** The key for this invocation (checked beforehand with jobKeyProblemFor), and the authenticator made from it. */
export function jobKeyForRun(env: NodeJS.ProcessEnv = process.env): { key: string; auth: JobAuthenticator; env: { [NAME]: string } } {
  const key = env[NAME] || newJobKey();
  return { key, auth: new JobAuthenticator(key), env: { [NAME]: key } };
}
