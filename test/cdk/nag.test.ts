// cdk-nag AwsSolutions: no open finding, every acknowledgment specific and explained, and the check is live.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SynthesisResult, createKlingflowApp, synthesizeKlingflow } from '../../lib/synth.ts';

const outdirs: string[] = [];
const newOutdir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klingflow-nag-test-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

interface Acknowledgment {
  path: string;
  id: string;
  reason: string;
}

function acknowledgmentsOf(options: Parameters<typeof createKlingflowApp>[0]): Acknowledgment[] {
  const { app } = createKlingflowApp(options);
  const found: Acknowledgment[] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^Annotation::/, ''), reason });
      }
    }
  }
  return found;
}

let synthesized: SynthesisResult;
let acknowledgments: Acknowledgment[];

beforeAll(() => {
  synthesized = synthesizeKlingflow({ nag: true });
  acknowledgments = acknowledgmentsOf({ outdir: newOutdir() });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no open finding (default context)', () => {
    const { validationReport } = synthesized;
    expect(validationReport).toBeDefined();
    const open = (validationReport!.pluginReports as any[]).flatMap((report) =>
      (report.violations as any[]).map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c: any) => c.constructPath).join(', ')}`),
    );
    expect(open).toEqual([]);
    for (const report of validationReport!.pluginReports as any[]) expect(report.conclusion).toBe('success');
  });

  it('reports no open finding with a JWT authorizer and several providers', () => {
    expect(() =>
      synthesizeKlingflow({
        nag: true,
        context: {
          auth: 'jwt',
          jwtIssuer: 'https://issuer.example.com/',
          jwtAudience: 'klingflow',
          enabledProviders: 'kling,kling-v3-rest',
          providerBaseUrls: { 'kling-v3-rest': 'https://reseller.example.com' },
          notificationEmails: 'ops@example.com',
        },
      }),
    ).not.toThrow();
  });

  it('fails synthesis on a finding nobody acknowledged (the check is live)', () => {
    const { app, stack } = createKlingflowApp({ nag: true, outdir: newOutdir() });
    new sns.Topic(stack, 'PlainTopic'); // no encryption, no TLS-only policy
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3|AwsSolutions-SNS2/);
  });

  it('acknowledges only exact finding ids, on the constructs that raise them, each with a reason', () => {
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const { path: at, id, reason } of acknowledgments) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      // IAM5 has one finding per wildcard: never the bare rule.
      if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
      expect(at).not.toBe('Klingflow'); // nothing stack-wide
      expect(reason.length, `${id} at ${at}`).toBeGreaterThan(60);
    }
    const rules = [...new Set(acknowledgments.map(({ id }) => id.replace(/\[.*$/, '')))].sort();
    expect(rules).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4']);
  });

  it('acknowledges APIG4 only on the public routes (callbacks, share links, the OpenAPI document), and SMG4 only on the provider and deployment secrets', () => {
    expect(acknowledgments.filter(({ id }) => id === 'AwsSolutions-APIG4').map(({ path: at }) => at)).toEqual([
      'Klingflow/Api/HttpApi/GET--v1--openapi.json',
      'Klingflow/Api/HttpApi/POST--v1--callbacks--{provider}--{jobId}',
      'Klingflow/Api/HttpApi/GET--v1--share--{jobId}--{object}',
    ]);
    expect(
      acknowledgments
        .filter(({ id }) => id === 'AwsSolutions-SMG4')
        .map(({ path: at }) => at)
        .sort(),
    ).toEqual([
      'Klingflow/DeploymentSecrets/CallbackSecret',
      'Klingflow/DeploymentSecrets/ShareSecret',
      'Klingflow/DeploymentSecrets/WebhookSecret',
      'Klingflow/ProviderSecrets/Provider-kling',
    ]);
    const resourceStar = acknowledgments.filter(({ id }) => id === 'AwsSolutions-IAM5[Resource::*]').map(({ path: at }) => at);
    for (const at of resourceStar)
      expect(at).toMatch(/^Klingflow\/(Functions\/[A-Za-z0-9]+Role|Workflow\/StateMachine\/Role)\/DefaultPolicy$/);
  });

  it("acknowledges the console's findings only on its distribution and CDK's copy function, each with a reason", () => {
    const jwt = acknowledgmentsOf({
      outdir: newOutdir(),
      context: { auth: 'jwt', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'klingflow' },
    });
    const added = jwt.filter((a) => !acknowledgments.some((b) => b.path === a.path && b.id === a.id));
    const byRule = (rule: string) =>
      added
        .filter(({ id }) => id === rule || id.startsWith(`${rule}[`))
        .map(({ path: at }) => at)
        .sort();
    for (const rule of ['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4'])
      expect(byRule(rule)).toEqual(['Klingflow/Console/Distribution']);
    expect(byRule('AwsSolutions-L1')).toEqual([expect.stringMatching(/^Klingflow\/Custom::CDKBucketDeployment/)]);
    expect(new Set(byRule('AwsSolutions-IAM5'))).toEqual(new Set(['Klingflow/Console/DeploymentRole/DefaultPolicy']));
    expect(added.map(({ id }) => id.replace(/\[.*$/, '')).every((rule) => /^AwsSolutions-(CFR[124]|L1|IAM5)$/.test(rule))).toBe(true);
    for (const { reason } of added) expect(reason.length).toBeGreaterThan(60);
  });

  it('acknowledges the uploads/* wildcard of the inputs bucket only for api (tickets), validate, submit and s3-upload', () => {
    const uploads = acknowledgments.filter(({ id }) =>
      /^AwsSolutions-IAM5\[Resource::<StorageInputs[A-Z0-9]+\.Arn>\/uploads\/\*\]$/.test(id),
    );
    expect(uploads.map(({ path: at }) => at).sort()).toEqual([
      'Klingflow/Functions/ApiRole/DefaultPolicy',
      'Klingflow/Functions/S3UploadRole/DefaultPolicy',
      'Klingflow/Functions/SubmitRole/DefaultPolicy',
      'Klingflow/Functions/ValidateRole/DefaultPolicy',
    ]);
    // Nothing acknowledged on the bucket-notifications handler: its role has no wildcard and no managed policy.
    expect(acknowledgments.filter(({ path: at }) => at.includes('BucketNotifications'))).toEqual([]);
  });
});
