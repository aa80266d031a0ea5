import { serviceMain } from '@blindspot/pipeline/bullmq';
import { bindScanner } from './stage';

await serviceMain('scanner', bindScanner);
