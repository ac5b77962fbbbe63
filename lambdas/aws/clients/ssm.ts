// SSM Parameter Store's GetParameter (JSON 1.1) through aws-lite (see aws-lite.ts), each value kept a while in a
// warm Lambda (kept-values.ts).
import { type AwsLiteClient, awsLiteClient, callJsonApi } from './aws-lite.ts';
import { keptValues } from './kept-values.ts';
import { perSettings } from './per-settings.ts';

const client = perSettings('SSM', () => awsLiteClient('SSM', { responseContentType: 'application/json' }));
const kept = keptValues<string | undefined>();

/**
 * The value of parameter `name` (a String or StringList; not decrypted), read at most once per `maxAgeSeconds` in
 * this process, or undefined when it has none. Throws AWS's error (`ParameterNotFound`, `AccessDeniedException`…);
 * a failed read is not kept.
 */
export function parameterValue(name: string, maxAgeSeconds: number): Promise<string | undefined> {
  return kept(name, maxAgeSeconds, async () => {
    const answer = await callJsonApi<{ Parameter?: { Value?: unknown } }>(
      (await client()()) as AwsLiteClient,
      'ssm',
      'AmazonSSM.GetParameter',
      '1.1',
      { Name: name },
    );
    return typeof answer.Parameter?.Value === 'string' ? answer.Parameter.Value : undefined;
  });
}
