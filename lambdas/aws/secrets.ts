// Secrets of the deployment itself (not of a provider): on AWS in Secrets Manager (KLINGFLOW_<NAME>_ARN,
// cached five minutes by Powertools), on one machine in the environment (KLINGFLOW_<NAME>, from the data folder).
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

async function deploymentSecret(name: string): Promise<string> {
  const arn = process.env[`KLINGFLOW_${name}_ARN`];
  if (arn) {
    const value = await getSecret(arn, { maxAge: 300 });
    if (typeof value !== 'string' || !value) throw new Error(`the secret KLINGFLOW_${name}_ARN names is empty`);
    return value;
  }
  const value = process.env[`KLINGFLOW_${name}`];
  if (!value) throw new Error(`configuration: neither KLINGFLOW_${name}_ARN nor KLINGFLOW_${name} is set`);
  return value;
}

/** Keys the per-job tokens in callback URLs of providers that do not sign their callbacks. */
export const callbackSecret = (): Promise<string> => deploymentSecret('CALLBACK_SECRET');

/** Signs the webhooks sent to callers (Standard Webhooks: receivers verify with `whsec_` + this value). */
export const webhookSecret = (): Promise<string> => deploymentSecret('WEBHOOK_SECRET');
