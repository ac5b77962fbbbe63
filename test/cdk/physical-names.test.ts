// Deploy, destroy, deploy again: a resource whose physical name is fixed in the template blocks that second deploy
// when the first one was kept (DeletionPolicy Retain: it is still there, under that name), and a fixed name of any
// resource blocks a second stack in the same account and region. CloudFormation generates a unique name for every
// resource whose name property is left out, so the rule is simple: no name property at all, unless it is listed
// below with the reason it cannot collide.
import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../lib/synth.ts';
import type { CfnResource, CfnTemplate } from './template-queries.ts';

/**
 * The property that is a resource type's physical name (CloudFormation resource reference), for every type
 * klingflow's template has or is likely to get. A type missing here fails the test below, so a new type is judged
 * when it arrives.
 */
const NAME_PROPERTY: Record<string, string | null> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::S3::BucketPolicy': null,
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SNS::Subscription': null,
  'AWS::SNS::TopicPolicy': null,
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SQS::QueuePolicy': null,
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Lambda::Permission': null,
  'AWS::Lambda::EventSourceMapping': null,
  'AWS::Lambda::LayerVersion': 'LayerName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  // An inline policy's name is unique only within its role: it cannot collide with anything outside the stack.
  'AWS::IAM::Policy': null,
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::KMS::Key': null,
  'AWS::KMS::Alias': 'AliasName',
  'AWS::XRay::Group': 'GroupName',
  // API Gateway API names are labels, not unique: two APIs may share one.
  'AWS::ApiGatewayV2::Api': null,
  'AWS::ApiGatewayV2::Stage': null,
  'AWS::ApiGatewayV2::Route': null,
  'AWS::ApiGatewayV2::Integration': null,
  'AWS::ApiGatewayV2::Authorizer': null,
  'AWS::CDK::Metadata': null,
  // CloudFront names these account-wide, so lib/console.ts makes each from the stack's name and region.
  'AWS::CloudFront::ResponseHeadersPolicy': 'ResponseHeadersPolicyConfig.Name',
  'AWS::CloudFront::OriginAccessControl': 'OriginAccessControlConfig.Name',
  // A distribution has no name (its domain is generated); the files' copy is CDK's custom resource, nameless.
  'AWS::CloudFront::Distribution': null,
  'Custom::CDKBucketDeployment': null,
  'Custom::S3BucketNotifications': null,
};

/**
 * Resources allowed a fixed name, by logical-id prefix, each with why it cannot block a deployment. Empty today;
 * an entry needs its reason.
 */
const ALLOWED_FIXED_NAMES: Record<string, string> = {};

/** Whether a name value is derived from the stack (a reference to AWS::StackName makes it unique per stack). */
const mentionsStackName = (value: unknown): boolean => JSON.stringify(value).includes('"AWS::StackName"');

function fixedNames(template: CfnTemplate): { id: string; type: string; name: unknown; retained: boolean }[] {
  return Object.entries(template.Resources as Record<string, CfnResource>).flatMap(([id, resource]) => {
    const property = NAME_PROPERTY[resource.Type];
    if (!property) return [];
    // A dotted property is nested (`ResponseHeadersPolicyConfig.Name`).
    const name = property
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], resource.Properties);
    if (name === undefined) return [];
    const retained = ['Retain', 'RetainExceptOnCreate', 'Snapshot'].includes(resource.DeletionPolicy ?? '');
    return [{ id, type: resource.Type, name, retained }];
  });
}

const contexts = [
  {},
  {
    notificationEmails: 'ops@example.com',
    enabledProviders: 'kling,fal,replicate',
    maxConcurrency: '{"kling": 3}',
    adminPrincipals: 'arn:aws:iam::123456789012:role/Admin',
  },
  { auth: 'jwt', jwtIssuer: 'https://issuer.example.com', jwtAudience: 'klingflow' },
];

describe('physical names (deploy, destroy, deploy again)', () => {
  for (const context of contexts) {
    const template = synthesizeTemplate({ context });
    const label = JSON.stringify(context);

    it(`knows the name property of every resource type in the template ${label}`, () => {
      const types = new Set(Object.values(template.Resources as Record<string, CfnResource>).map((r) => r.Type));
      expect([...types].filter((type) => !(type in NAME_PROPERTY))).toEqual([]);
    });

    it(`names nothing itself, so a retained resource never collides with its successor ${label}`, () => {
      const offending = fixedNames(template).filter(({ id, name, retained }) => {
        const allowed = Object.keys(ALLOWED_FIXED_NAMES).some((prefix) => id.startsWith(prefix));
        // A name made from the stack's name cannot collide with another stack, but a retained one still collides
        // with the same stack deployed again.
        return !allowed && (retained || !mentionsStackName(name));
      });
      expect(offending).toEqual([]);
    });
  }

  it('every allow-listed fixed name carries a reason', () => {
    for (const [prefix, reason] of Object.entries(ALLOWED_FIXED_NAMES)) expect(reason.length, prefix).toBeGreaterThan(20);
  });

  it('keeps the data (jobs table, archived videos, inputs, access logs), logs and the typed-in provider credentials; nothing else', () => {
    const template = synthesizeTemplate({ context: {} });
    const kept = Object.values(template.Resources as Record<string, CfnResource>).filter((r) => r.DeletionPolicy === 'Retain');
    // Log groups are kept (CDK's default), with generated names and a retention period that ends them.
    for (const logGroup of kept.filter((r) => r.Type === 'AWS::Logs::LogGroup'))
      expect(logGroup.Properties!.RetentionInDays).toBeGreaterThan(0);
    const retained = kept
      .filter((r) => r.Type !== 'AWS::Logs::LogGroup')
      .map((r) => [undefined, r] as const)
      .map(([, r]) => `${r.Type} ${r.Metadata?.['klingflow:table'] ?? r.Metadata?.['klingflow:secret'] ?? ''}`.trim())
      .sort();
    expect(retained).toEqual([
      'AWS::DynamoDB::GlobalTable jobs',
      'AWS::S3::Bucket',
      'AWS::S3::Bucket',
      'AWS::S3::Bucket',
      'AWS::SecretsManager::Secret klingflow/providers/kling',
    ]);
  });
});
