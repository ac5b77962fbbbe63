// Defines the klingflow app on a CDK App: the one stack, configured from context, and the cdk-nag checks.
// bin/app.ts (the CDK CLI) and lib/synth.ts (tests, the local stack) both build through here.
import type { App } from 'aws-cdk-lib';
import { readKlingflowConfig } from './config.ts';
import { KlingflowStack } from './klingflow-stack.ts';
import { addNagChecks } from './nag.ts';

export const STACK_ID = 'Klingflow';

export interface DefineAppOptions {
  /** Register the cdk-nag AwsSolutions checks (synth fails on any open finding). */
  nag: boolean;
}

export function defineKlingflowApp(app: App, options: DefineAppOptions): KlingflowStack {
  const stack = new KlingflowStack(app, STACK_ID, {
    config: readKlingflowConfig(app.node),
    description: 'klingflow: AI video generation jobs (Kling and resellers) on Step Functions',
  });
  if (options.nag) addNagChecks(app);
  return stack;
}
