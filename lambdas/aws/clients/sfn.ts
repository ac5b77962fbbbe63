// The Step Functions client (see per-settings.ts).
import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from '../tracing.ts';
import { perSettings } from './per-settings.ts';

export const sfn = perSettings('SFN', () => tracer.captureAWSv3Client(new SFNClient({})));
