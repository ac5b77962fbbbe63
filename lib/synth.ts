// Synthesizes the klingflow stack in memory, with the same context (feature flags) as cdk.json, for the tests and
// the local stack. Fast by default: no esbuild bundling (context `aws:cdk:bundling-stacks: []`), no built-in
// CloudFormation validation, no cdk-nag.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import { PROJECT_ROOT } from './functions.ts';
import { STACK_ID, defineKlingflowApp } from './klingflow-app.ts';
import type { KlingflowStack } from './klingflow-stack.ts';

export interface SynthesizeOptions {
  /** Context on top of cdk.json's (e.g. `{ auth: 'jwt', ... }`, `{ notificationEmails: [...] }`). */
  context?: Record<string, unknown>;
  /** Bundle the handlers with esbuild (needs lambdas/handlers/*.ts). Default false. */
  bundle?: boolean;
  /** Run the cdk-nag AwsSolutions checks; an open finding makes synthesis throw with the report. Default false. */
  nag?: boolean;
}

/** A synthesized CloudFormation template (a `Record<string, any>` that always has `Resources`). */
export type CloudFormationTemplate = Record<string, any> & { Resources: Record<string, any> };

export interface SynthesisResult {
  /** The stack's CloudFormation template. */
  template: CloudFormationTemplate;
  /** The policy-validation report (`validation-report.json`) when a validation plugin ran (`nag: true`). */
  validationReport?: Record<string, any>;
}

/** The context block of cdk.json (feature flags and settings), as the CDK CLI would pass it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * Builds (does not synthesize) the app as the CLI would, with synth.ts's fast settings, into `outdir`. For tests
 * that need the construct tree or want to add to the stack before synthesis.
 */
export function createKlingflowApp(options: SynthesizeOptions & { outdir: string }): { app: App; stack: KlingflowStack } {
  const app = new App({
    outdir: options.outdir,
    context: cdkJsonContext(),
    postCliContext: {
      ...options.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      // Throw validation failures with the whole report in the message instead of printing it.
      '@aws-cdk/core:appMode': 'inmemory',
    },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  });
  const stack = defineKlingflowApp(app, { nag: options.nag ?? false });
  return { app, stack };
}

export function synthesizeKlingflow(options: SynthesizeOptions = {}): SynthesisResult {
  const outdir = mkdtempSync(path.join(tmpdir(), 'klingflow-synth-'));
  try {
    const { app, stack } = createKlingflowApp({ ...options, outdir });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as CloudFormationTemplate;
    const reportPath = path.join(assembly.directory, VALIDATION_REPORT_FILE);
    const validationReport = existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, 'utf8')) as Record<string, any>) : undefined;
    return { template, validationReport };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The klingflow stack's template, synthesized in memory (see {@link SynthesizeOptions}). */
export function synthesizeTemplate(options: SynthesizeOptions = {}): CloudFormationTemplate {
  return synthesizeKlingflow(options).template;
}

export { STACK_ID };
