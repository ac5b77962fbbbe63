// CDK entry point (cdk.json "app"). Context keys, all optional (see lib/config.ts):
//   notificationEmails  "a@x.com,b@y.com" (or a list): e-mail subscriptions of the Notices topic
//   auth                "iam" (default) | "jwt"; with jwt also jwtIssuer (https URL) and jwtAudience (one or a list)
//   enabledProviders    "kling,fal" (or a list); default ["kling"]
//   providerBaseUrls    '{"fal":"https://queue.fal.run"}' (or an object); kling defaults to https://api-singapore.klingai.com
//   defaultProvider     default "kling"
//   awaitSeconds        default 60: seconds AwaitResult waits for a callback before one poll
//   maxPolls            default 120: AwaitResult ⇄ PollStatus rounds before a job is TIMED_OUT
// e.g. npx cdk synth -c auth=jwt -c jwtIssuer=https://issuer.example -c jwtAudience=klingflow -c notificationEmails=ops@example.com
import { App } from 'aws-cdk-lib';
import { defineKlingflowApp } from '../lib/klingflow-app.ts';

const app = new App(); // synthesized by the CLI when the process exits (autoSynth)
defineKlingflowApp(app, { nag: true });
