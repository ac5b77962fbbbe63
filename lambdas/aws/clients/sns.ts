// The SNS client (see per-settings.ts).
import { SNSClient } from '@aws-sdk/client-sns';
import { perSettings } from './per-settings.ts';

export const sns = perSettings('SNS', () => new SNSClient({}));
