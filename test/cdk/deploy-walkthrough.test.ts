// The README's "Deploy to AWS" walkthrough, step by step against the synthesized template: every stack output it reads
// exists (under the exact key it names), every context key it lists is one lib/config.ts reads, and the teardown it
// describes keeps what it says it keeps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readKlingflowConfig } from '../../lib/config.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import type { CfnResource } from './template-queries.ts';

const readme = readFileSync('README.md', 'utf8');
const walkthrough = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('## Layout'));
// The walkthrough's own example: kling and fal enabled.
const template = synthesizeTemplate({
  context: { enabledProviders: 'kling,fal', notificationEmails: 'you@example.com', alarmEmails: 'ops@example.com' },
});

describe('README, Deploy to AWS', () => {
  it('reads only stack outputs that exist: `out <Key>` and <Key> placeholders', () => {
    const keys = new Set([
      ...[...walkthrough.matchAll(/\$\(out (\w+)\)/g)].map((m) => m[1]!),
      ...[...walkthrough.matchAll(/<(\w+(?:Name|Arn))>/g)].map((m) => m[1]!),
    ]);
    expect(keys.size).toBeGreaterThan(4);
    for (const key of keys) expect(Object.keys(template.Outputs), key).toContain(key);
    // One secret output per provider, named as the walkthrough says (the id without dashes).
    expect(Object.keys(synthesizeTemplate({ context: { enabledProviders: 'kling,kling-v3-rest' } }).Outputs)).toContain(
      'ProviderSecretArnklingv3rest',
    );
  });

  it('lists only context keys the stack reads, each with a default that matches', () => {
    const rows = [...walkthrough.matchAll(/^\| `(\w+)`(?: \/ `(\w+)`)? +\| `?([^|`]*?)`? +\|/gm)];
    expect(rows.length).toBeGreaterThan(8);
    const defaults = readKlingflowConfig({ tryGetContext: () => undefined } as never) as unknown as Record<string, unknown>;
    for (const [, key, second] of rows) {
      for (const name of [key, second].filter(Boolean) as string[]) expect(defaults, name).toHaveProperty(name);
    }
  });

  it('subscribes the notification e-mails to the notices topic and the alarm e-mails to the Alarms topic, as it says to confirm', () => {
    const subscriptions = Object.values(template.Resources as Record<string, CfnResource>).filter(
      (r) => r.Type === 'AWS::SNS::Subscription' && r.Properties!.Protocol === 'email',
    );
    const topicOf = (output: string) => template.Outputs[output].Value;
    expect(subscriptions.map((s) => [s.Properties!.Endpoint, s.Properties!.TopicArn]).sort()).toEqual(
      [
        ['ops@example.com', topicOf('AlarmsTopicArn')],
        ['you@example.com', topicOf('NoticesTopicArn')],
      ].sort(),
    );
    expect(walkthrough).toMatch(/`notificationEmails` \(the notices topic\) and in\n`alarmEmails`/);
  });

  it('keeps on teardown exactly the kinds of thing it names: the jobs table, the buckets, provider secrets, log groups', () => {
    const kept = new Set(
      Object.values(template.Resources as Record<string, CfnResource>)
        .filter((r) => r.DeletionPolicy === 'Retain')
        .map((r) => r.Type),
    );
    expect([...kept].sort()).toEqual([
      'AWS::DynamoDB::GlobalTable',
      'AWS::Logs::LogGroup',
      'AWS::S3::Bucket',
      'AWS::SecretsManager::Secret',
    ]);
    expect(walkthrough).toMatch(/jobs table \(deletion-protected\), the outputs bucket/);
  });
});
