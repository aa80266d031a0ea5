import { serviceMain } from '@blindspot/pipeline/bullmq';
import { bindGenerator } from './stage';

await serviceMain('generator', bindGenerator);
