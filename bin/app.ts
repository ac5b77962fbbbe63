// CDK entry point (cdk.json "app"). Context keys, all optional (see lib/config.ts):
//   notificationEmails  "a@x.com,b@y.com" (or a list): e-mail subscriptions of the Notices topic
//   auth                "iam" (default) | "jwt"; with jwt also jwtIssuer (https URL) and jwtAudience (one or a list)
//   enabledProviders    "kling,fal" (or a list); default ["kling"]
//   providerBaseUrls    '{"fal":"https://fal.example.com"}' (or an object), over the defaults:
//                         kling          https://api-singapore.klingai.com
//                         kling-v3-rest  https://api.klingai.com
//                         kling-ai       https://api.kling.ai          (the adapter adds /v1 itself)
//                         klinggenerator https://api.klinggenerator.com
//                         kling3api      https://kling3api.com
//                         fal            https://queue.fal.run
//                         replicate      https://api.replicate.com
//   providerSettings    '{"fal":{"JWKS_URL":"https://..."}}' (or an object): non-secret adapter settings of enabled
//                       providers, each set as KLINGFLOW_<ID>_<NAME> on the functions that talk to providers
//                       (credentials go into the provider's secret, output ProviderSecretArn<id>)
//   defaultProvider     default "kling"
//   maxPolls            default 120: checks (polls, and a callback job's waits) before a job is TIMED_OUT, a guard
//   deadlineSeconds     default "1800": seconds after submission before a job is TIMED_OUT; "1800,kling-v3=3600" per model
// e.g. npx cdk synth -c auth=jwt -c jwtIssuer=https://issuer.example -c jwtAudience=klingflow -c notificationEmails=ops@example.com
//
// Generated at deploy time, no context needed, with generated names (lib/secrets.ts): the callback secret (keys
// callback-URL tokens), the webhook secret (signs job webhooks; receivers verify with "whsec_" + its value, output
// WebhookSecretArn) and the share secret (signs share links).
import { App } from 'aws-cdk-lib';
import { ContextError } from '../lib/config.ts';
import { defineKlingflowApp } from '../lib/klingflow-app.ts';

const app = new App(); // synthesized by the CLI when the process exits (autoSynth)
try {
  defineKlingflowApp(app, { nag: true });
} catch (error) {
  // A context value klingflow cannot deploy with is the user's to fix: its message alone, not a stack trace.
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`klingflow: ${error.message}\n`);
  process.exit(1);
}
