import { serviceMain } from '@blindspot/pipeline/bullmq';
import { bindReporter } from './stage';

await serviceMain('reporter', bindReporter);
