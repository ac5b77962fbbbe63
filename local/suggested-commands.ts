// The commands `npm start` suggests once the stack is ready, ready to paste into another terminal.
import { LOCAL_SIGV4_CREDENTIALS, LOCAL_SIGV4_REGION } from './sigv4.ts';

/** What the suggestions depend on. */
export interface SuggestionContext {
  url: string;
  auth: 'bearer' | 'sigv4';
  token: string;
  /** The data folder, when it was chosen with KLINGFLOW_DATA_DIR (the CLI finds the stack by it). */
  chosenDataDir?: string;
}

/**
 * The CLI command that generates a video on this stack: with the data folder when one was chosen, and in SigV4 mode
 * with the local test credentials, which the CLI signs with (a user's own AWS credentials would be refused).
 */
export function generateCommand(context: SuggestionContext): string {
  const env = [
    ...(context.chosenDataDir ? [`KLINGFLOW_DATA_DIR=${context.chosenDataDir}`] : []),
    ...(context.auth === 'sigv4'
      ? [`AWS_ACCESS_KEY_ID=${LOCAL_SIGV4_CREDENTIALS.accessKeyId}`, `AWS_SECRET_ACCESS_KEY=${LOCAL_SIGV4_CREDENTIALS.secretAccessKey}`]
      : []),
  ];
  return [...env, 'npx klingflow generate "a red fox running through snow" --out fox.mp4'].join(' ');
}

/** The curl command that creates a job on this stack, over two lines (the second indented to follow the first). */
export function curlCommand(context: SuggestionContext): [string, string] {
  const first =
    context.auth === 'sigv4'
      ? `curl --aws-sigv4 "aws:amz:${LOCAL_SIGV4_REGION}:execute-api" --user "${LOCAL_SIGV4_CREDENTIALS.accessKeyId}:${LOCAL_SIGV4_CREDENTIALS.secretAccessKey}" -H "content-type: application/json" \\`
      : `curl -H "Authorization: Bearer ${context.token}" -H "content-type: application/json" \\`;
  return [first, `-d '{"prompt":"a red fox running through snow"}' ${context.url}/v1/jobs`];
}
