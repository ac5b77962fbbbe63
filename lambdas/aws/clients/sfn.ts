// The Step Functions client (see per-settings.ts).
import { SFNClient } from '@aws-sdk/client-sfn';
import { perSettings } from './per-settings.ts';

export const sfn = perSettings('SFN', () => new SFNClient({}));
