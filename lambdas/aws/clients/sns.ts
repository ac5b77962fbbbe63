// The SNS client (see per-settings.ts).
import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '../tracing.ts';
import { perSettings } from './per-settings.ts';

export const sns = perSettings('SNS', () => tracer.captureAWSv3Client(new SNSClient({})));
