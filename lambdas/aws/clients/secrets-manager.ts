// Secrets Manager's GetSecretValue (JSON 1.1) through aws-lite (see aws-lite.ts), with each value kept for a while
// in a warm Lambda, as Powertools Parameters kept it before.
import { type AwsLiteClient, awsLiteClient, callJsonApi } from './aws-lite.ts';
import { perSettings } from './per-settings.ts';

const client = perSettings('SECRETS_MANAGER', () => awsLiteClient('SECRETS_MANAGER', { responseContentType: 'application/json' }));

/** Values by secret id, with when they were read (ms since the epoch). */
const cache = new Map<string, { value: Promise<string>; readAt: number }>();

/**
 * The `SecretString` of secret `secretId` (an ARN or name), read at most once per `maxAgeSeconds` in this process.
 * Throws AWS's error (`ResourceNotFoundException`, `AccessDeniedException`…), or when the secret holds no string
 * (a binary secret); a failed read is not kept.
 */
export function secretString(secretId: string, maxAgeSeconds: number, now: () => number = Date.now): Promise<string> {
  const kept = cache.get(secretId);
  if (kept && now() - kept.readAt < maxAgeSeconds * 1000) return kept.value;
  const connect = client();
  const value = (async () => {
    const answer = await callJsonApi<{ SecretString?: unknown }>(
      (await connect()) as AwsLiteClient,
      'secretsmanager',
      'secretsmanager.GetSecretValue',
      '1.1',
      { SecretId: secretId },
    );
    if (typeof answer.SecretString !== 'string') throw new Error(`the secret ${secretId} holds no text`);
    return answer.SecretString;
  })();
  cache.set(secretId, { value, readAt: now() });
  value.catch(() => {
    if (cache.get(secretId)?.value === value) cache.delete(secretId);
  });
  return value;
}
