import { serviceMain } from '@blindspot/pipeline/bullmq';
import { bindMetadataDetector } from './stage';

await serviceMain('metadata-detector', bindMetadataDetector);
