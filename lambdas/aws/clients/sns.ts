// The SNS API (the query protocol: a form-encoded POST, an XML answer) through aws-lite (see aws-lite.ts and
// per-settings.ts). aws-lite's SNS plugin takes message attributes as a string, so the form is built here.
import { type AwsLiteClient, awsLiteClient, awsErrorName } from './aws-lite.ts';
import { perSettings } from './per-settings.ts';

/** The 2010-03-31 API version every SNS request names. */
const SNS_VERSION = '2010-03-31';

/**
 * Calls an SNS action with its form fields (`TopicArn`, `MessageAttributes.entry.1.Name`…). Throws AWS's error
 * with `name` set to its code (`NotFound`, `AuthorizationError`…).
 */
export type SnsCall = (action: string, fields: Record<string, string>) => Promise<void>;

const client = perSettings('SNS', () => awsLiteClient('SNS'));

/** This deployment's (or the local stack's) SNS. */
export const sns = (): SnsCall => {
  const connect = client();
  return async (action, fields) => {
    const form = new URLSearchParams({ Action: action, Version: SNS_VERSION, ...fields });
    try {
      await ((await connect()) as AwsLiteClient)({
        service: 'sns',
        method: 'POST',
        path: '/',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
        payload: form.toString(),
      });
    } catch (error) {
      const name = awsErrorName(error);
      if (name && error instanceof Error) error.name = name;
      throw error;
    }
  };
};
