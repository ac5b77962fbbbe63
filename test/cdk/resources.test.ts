// The stack's resources and their settings: table, buckets (and the uploads trigger), topic, secrets, functions and
// their environment, the HTTP API built from the route table, and the context keys that change them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'constructs';
import { CORS_POLICY } from '../../lambdas/http/cors.ts';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SUFFIXES, IMAGE_SUFFIX_FILTERS } from '../../lambdas/domain/uploads.ts';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import type { HandlerName } from '../../lambdas/workflow/contract.ts';
import { ROUTES, routeKey } from '../../lambdas/http/routes.ts';
import { ALARM_DEFAULTS, DEFAULT_PROVIDER_BASE_URLS, readKlingflowConfig } from '../../lib/config.ts';
import { PROVIDER_CLIENTS } from '../../lib/handler-access.ts';
import { BUCKET_NOTIFICATIONS_HANDLER_ID } from '../../lib/storage.ts';
import { createKlingflowApp, synthesizeTemplate } from '../../lib/synth.ts';
import {
  type CfnTemplate,
  asArray,
  bucketsOf,
  functionsByHandler,
  onlyResourceOfType,
  tableOf,
  render,
  resourcesOfType,
} from './template-queries.ts';

const VARIANT_CONTEXT = {
  auth: 'jwt',
  jwtIssuer: 'https://issuer.example.com/',
  jwtAudience: 'klingflow-console,klingflow-cli',
  notificationEmails: 'ops@example.com, oncall@example.com',
  alarmEmails: 'pager@example.com',
  enabledProviders: ['kling', 'kling-v3-rest'],
  providerBaseUrls: '{"kling-v3-rest":"https://reseller.example.com"}',
  providerSettings: '{"kling-v3-rest":{"REGION":"sg","POLL_HINT":3}}',
  maxConcurrency: '{"kling":"kling-free","kling-v3-rest":"4,kling-v3=2"}',
  slotWaitSeconds: 20,
  defaultProvider: 'kling-v3-rest',
  maxPolls: 7,
  corsOrigins: 'https://console.example.com, http://localhost:5173',
};

let template: CfnTemplate;
let assertions: Template;
let variant: CfnTemplate;

beforeAll(() => {
  template = synthesizeTemplate();
  assertions = Template.fromJSON(template);
  variant = synthesizeTemplate({ context: VARIANT_CONTEXT });
});

describe('Jobs table', () => {
  it('is keyed by jobId, on demand, with PITR and deletion protection, retained', () => {
    const [, table] = tableOf(template, 'jobs');
    expect(table.Properties!.KeySchema).toEqual([{ AttributeName: 'jobId', KeyType: 'HASH' }]);
    expect(table.Properties!.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties!.Replicas).toEqual([
      expect.objectContaining({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    ]);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties!.TimeToLiveSpecification).toBeUndefined();
  });

  it('has the byStatus, byCreatedAt and byOwner indexes, projecting everything', () => {
    const [, table] = tableOf(template, 'jobs');
    expect(table.Properties!.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byStatus',
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'byCreatedAt',
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'byOwner',
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    const types = Object.fromEntries(
      (table.Properties!.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((d) => [
        d.AttributeName,
        d.AttributeType,
      ]),
    );
    expect(types).toEqual({ jobId: 'S', status: 'S', createdAt: 'S', kind: 'S', owner: 'S' });
  });
});

describe('Admission table', () => {
  it('is keyed by pool and entry (no index: every read is a consistent query of the base table), on demand, with PITR', () => {
    const [, table] = tableOf(template, 'admission');
    expect(table.Properties!.KeySchema).toEqual([
      { AttributeName: 'pool', KeyType: 'HASH' },
      { AttributeName: 'entry', KeyType: 'RANGE' },
    ]);
    expect(table.Properties!.GlobalSecondaryIndexes).toBeUndefined();
    expect(table.Properties!.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties!.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
    expect(table.Properties!.TimeToLiveSpecification).toBeUndefined();
  });
});

describe('buckets', () => {
  const BUCKETS = ['outputs', 'inputs', 'accessLogs'] as const;

  it('are versioned outputs and inputs buckets, each logging to the separate access-logs bucket', () => {
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toHaveLength(3);
    const {
      outputs: [, outputs],
      inputs: [, inputs],
      accessLogs: [accessLogsId, accessLogs],
    } = bucketsOf(template);
    expect(outputs.Properties!.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: 'outputs/' });
    expect(inputs.Properties!.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: 'inputs/' });
    expect(outputs.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // The inputs bucket must be versioned: an upload's job id is derived from its version id.
    expect(inputs.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(accessLogs.Properties!.LoggingConfiguration).toBeUndefined();
  });

  it('inputs: abandoned multipart uploads and replaced versions expire; current uploads stay', () => {
    const {
      inputs: [, inputs],
    } = bucketsOf(template);
    expect(inputs.Properties!.LifecycleConfiguration.Rules).toEqual([
      { Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
      { Id: 'expire-replaced-versions', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' },
    ]);
  });

  it.each(BUCKETS)('%s: private, S3-managed encryption, retained', (which) => {
    const [, bucket] = bucketsOf(template)[which];
    expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties!.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties!.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
  });

  it.each(BUCKETS)('%s: a bucket policy denies requests without TLS', (which) => {
    const [bucketId] = bucketsOf(template)[which];
    const policy = resourcesOfType(template, 'AWS::S3::BucketPolicy').find(([, p]) => render(p.Properties!.Bucket) === `<${bucketId}>`);
    expect(policy, `no bucket policy for ${bucketId}`).toBeDefined();
    expect(policy![1].Properties!.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });
});

describe('uploads trigger', () => {
  const notifications = () => {
    const [, resource] = onlyResourceOfType(template, 'Custom::S3BucketNotifications');
    return resource.Properties!;
  };

  it('IMAGE_SUFFIX_FILTERS has every image suffix in lower and upper case', () => {
    for (const suffix of IMAGE_SUFFIXES) {
      expect(IMAGE_SUFFIX_FILTERS).toContain(suffix.toLowerCase());
      expect(IMAGE_SUFFIX_FILTERS).toContain(suffix.toUpperCase());
    }
  });

  it('sends every object created under uploads/ with an image suffix (either case) to s3-upload', () => {
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    const s3Upload = functionsByHandler(template)['s3-upload'].logicalId;
    const props = notifications();
    expect(props.BucketName).toEqual({ Ref: inputsId });
    expect(props.Managed).toBe(true);
    expect(Object.keys(props.NotificationConfiguration)).toEqual(['LambdaFunctionConfigurations']);
    const configurations = props.NotificationConfiguration.LambdaFunctionConfigurations as any[];
    expect(configurations).toHaveLength(IMAGE_SUFFIX_FILTERS.length);
    const suffixes: string[] = [];
    for (const configuration of configurations) {
      // s3:ObjectCreated:* is Put, Post, Copy and CompleteMultipartUpload.
      expect(configuration.Events).toEqual(['s3:ObjectCreated:*']);
      expect(configuration.LambdaFunctionArn).toEqual({ 'Fn::GetAtt': [s3Upload, 'Arn'] });
      const rules = Object.fromEntries(
        (configuration.Filter.Key.FilterRules as { Name: string; Value: string }[]).map((r) => [r.Name, r.Value]),
      );
      expect(Object.keys(rules).sort()).toEqual(['prefix', 'suffix']);
      expect(rules.prefix).toBe('uploads/');
      suffixes.push(rules.suffix!);
    }
    expect(suffixes.sort()).toEqual([...IMAGE_SUFFIX_FILTERS].sort());
    expect(suffixes).toEqual(expect.arrayContaining(['.png', '.PNG', '.jpg', '.JPG', '.jpeg', '.JPEG', '.webp', '.WEBP']));
  });

  it("are put once the invoke permission, the handler's S3 permission and the TLS-only bucket policy exist", () => {
    const [, resource] = onlyResourceOfType(template, 'Custom::S3BucketNotifications');
    const dependsOn = asArray(resource.DependsOn);
    const [permissionId] = resourcesOfType(template, 'AWS::Lambda::Permission').find(
      ([, p]) => p.Properties!.Principal === 's3.amazonaws.com',
    )!;
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    const [bucketPolicyId] = resourcesOfType(template, 'AWS::S3::BucketPolicy').find(
      ([, p]) => render(p.Properties!.Bucket) === `<${inputsId}>`,
    )!;
    expect(dependsOn).toEqual(expect.arrayContaining([permissionId, bucketPolicyId]));
  });

  it("the notifications handler (CDK's) is the only function besides the handlers, logging to its own log group", () => {
    const others = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, f]) => !f.Metadata?.['klingflow:handler']);
    expect(others.map(([id]) => id)).toEqual([expect.stringMatching(new RegExp(`^${BUCKET_NOTIFICATIONS_HANDLER_ID}`))]);
    const [, handler] = others[0]!;
    expect(notifications().ServiceToken).toEqual({ 'Fn::GetAtt': [others[0]![0], 'Arn'] });
    const logGroupId = handler.Properties!.LoggingConfig.LogGroup.Ref as string;
    expect(template.Resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
  });
});

describe('Notices topic', () => {
  it('is encrypted with the AWS-managed SNS key and denies publishing without TLS', () => {
    const [topicId, topic] = topicOf(template, 'Notices');
    expect(render(topic.Properties!.KmsMasterKeyId)).toMatch(/:alias\/aws\/sns$/);
    const [, policy] = resourcesOfType(template, 'AWS::SNS::TopicPolicy').find(([, p]) => p.Properties!.Topics[0].Ref === topicId)!;
    expect(policy.Properties!.Topics).toEqual([{ Ref: topicId }]);
    expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('has no subscriptions unless the context names e-mail addresses', () => {
    expect(resourcesOfType(template, 'AWS::SNS::Subscription')).toHaveLength(0);
    const [topicId] = topicOf(variant, 'Notices');
    const [alarmsId] = topicOf(variant, 'Alarms');
    const subscriptions = resourcesOfType(variant, 'AWS::SNS::Subscription').map(([, s]) => s.Properties!);
    // Operators (alarmEmails) hear of alarms, job owners (notificationEmails) of jobs: two lists, two topics.
    expect(subscriptions).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'pager@example.com', TopicArn: { Ref: alarmsId } }),
    ]);
  });
});

/** The SNS topic whose logical id starts with Notifications<name> or Operations<name>. */
function topicOf(t: CfnTemplate, name: 'Notices' | 'Alarms') {
  const found = resourcesOfType(t, 'AWS::SNS::Topic').filter(
    ([id]) => id.startsWith(`Notifications${name}`) || id.startsWith(`Operations${name}`),
  );
  if (found.length !== 1) throw new Error(`expected one ${name} topic, found ${found.length}`);
  return found[0]!;
}

describe('operations: the scheduled reconciler, dead-letter queues and their alarms', () => {
  it('runs the reconciler every 10 minutes (context reconcileMinutes), with retries and a dead-letter queue for the event', () => {
    const [, rule] = onlyResourceOfType(template, 'AWS::Events::Rule');
    const reconcile = functionsByHandler(template).reconcile;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
    expect(rule.Properties!.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [reconcile.logicalId, 'Arn'] },
        Input: '{}',
        RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^OperationsReconcileDeadLetters/), 'Arn'] } },
      }),
    ]);
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties!.Principal === 'events.amazonaws.com',
    );
    expect(permissions.map(([, p]) => render(p.Properties!.FunctionName))).toEqual([`<${reconcile.logicalId}.Arn>`]);
    expect(
      onlyResourceOfType(synthesizeTemplate({ context: { reconcileMinutes: 3 } }), 'AWS::Events::Rule')[1].Properties!.ScheduleExpression,
    ).toBe('rate(3 minutes)');
  });

  it('gives every asynchronously invoked function a dead-letter queue (encrypted, TLS only, 14 days) with an alarm to the Alarms topic', () => {
    const functions = functionsByHandler(template);
    const [alarmsTopicId, alarmsTopic] = topicOf(template, 'Alarms');
    expect(alarmsTopic.Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OperationsAlarmsKey/), 'Arn'] });
    // (every other alarm is lib/monitoring.ts's: test/cdk/monitoring.test.ts)
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!.Namespace === 'AWS/SQS');
    expect(alarms).toHaveLength(2);
    for (const name of ['s3-upload', 'reconcile'] as const) {
      const queueId = render(functions[name].resource.Properties!.DeadLetterConfig.TargetArn).replace(/^<(.+)\.Arn>$/, '$1');
      const queue = template.Resources[queueId];
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      const alarm = alarms.find(([, a]) => a.Properties!.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === queueId);
      expect(alarm?.[1].Properties, name).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: alarmsTopicId }],
      });
    }
    // No other function gets a dead-letter queue: the rest are invoked synchronously (API Gateway, Step Functions).
    for (const name of HANDLERS) {
      if (name !== 's3-upload' && name !== 'reconcile') expect(functions[name].resource.Properties!.DeadLetterConfig, name).toBeUndefined();
    }
  });
});

describe('provider secrets', () => {
  const providerSecrets = (t: CfnTemplate) =>
    resourcesOfType(t, 'AWS::SecretsManager::Secret').filter(([, s]) =>
      String(s.Metadata?.['klingflow:secret']).startsWith('klingflow/providers/'),
    );

  it('one per enabled provider, in the role klingflow/providers/<id> with a generated name, credentials empty, no value in the template', () => {
    const names = (t: CfnTemplate) =>
      providerSecrets(t)
        .map(([, s]) => s.Metadata!['klingflow:secret'])
        .sort();
    expect(names(template)).toEqual(['klingflow/providers/kling']);
    expect(names(variant)).toEqual(['klingflow/providers/kling', 'klingflow/providers/kling-v3-rest']);
    for (const [, secret] of providerSecrets(variant)) {
      expect(secret.Properties!.Name).toBeUndefined();
      // Kept on teardown (it holds credentials someone typed in); its generated name never blocks a new stack.
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.Properties!.SecretString).toBeUndefined();
      const generate = secret.Properties!.GenerateSecretString;
      // Every credential starts empty (= not configured); the generated value sits under a key no handler reads.
      expect(JSON.parse(generate.SecretStringTemplate)).toEqual({ apiKey: '', accessKey: '', secretKey: '', webhookSecret: '' });
      expect(generate.GenerateStringKey).toBe('placeholder');
    }
  });

  it('reach functions as ARNs only: no credential variables, every *_SECRET_ARN is a Ref to a secret', () => {
    for (const t of [template, variant]) {
      const secretIds = new Set(resourcesOfType(t, 'AWS::SecretsManager::Secret').map(([id]) => id));
      for (const [, fn] of resourcesOfType(t, 'AWS::Lambda::Function')) {
        const variables = (fn.Properties!.Environment?.Variables ?? {}) as Record<string, unknown>;
        for (const [name, value] of Object.entries(variables)) {
          if (name.endsWith('_SECRET_ARN')) {
            expect(value).toEqual({ Ref: expect.any(String) });
            expect(secretIds.has((value as { Ref: string }).Ref)).toBe(true);
          } else {
            expect(name).not.toMatch(/API_KEY|ACCESS_KEY|SECRET_KEY|WEBHOOK_SECRET|PASSWORD|TOKEN|SECRET/);
          }
        }
      }
    }
  });
});

describe('deployment secrets', () => {
  const secret = (role: string) =>
    resourcesOfType(template, 'AWS::SecretsManager::Secret').find(([, s]) => s.Metadata?.['klingflow:secret'] === role)!;

  it('klingflow/callback-secret: generated, 64 characters, no punctuation or spaces, deleted with the stack, no fixed name', () => {
    const [, callback] = secret('klingflow/callback-secret');
    expect(callback.Properties!.SecretString).toBeUndefined();
    expect(callback.Properties!.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false });
    expect(callback.DeletionPolicy).toBe('Delete');
    expect(callback.Properties!.Name).toBeUndefined();
  });

  it('klingflow/webhook-secret: generated, exactly 32 characters of [A-Za-z0-9] (valid base64 after whsec_), deleted with the stack', () => {
    const [, webhook] = secret('klingflow/webhook-secret');
    expect(webhook.Properties!.SecretString).toBeUndefined();
    // Nothing else in GenerateSecretString: no template/key (the value is the bare string), no extra characters.
    expect(webhook.Properties!.GenerateSecretString).toEqual({ PasswordLength: 32, ExcludePunctuation: true, IncludeSpace: false });
    expect(webhook.Properties!.Description).toMatch(/whsec_/);
    expect(webhook.DeletionPolicy).toBe('Delete');
    expect(template.Outputs.WebhookSecretArn.Value).toEqual({ Ref: secret('klingflow/webhook-secret')[0] });
    expect(template.Outputs.WebhookSecretArn.Description).toMatch(/whsec_/);
  });

  it('reach exactly their readers as KLINGFLOW_<NAME>_ARN', () => {
    const functions = functionsByHandler(template);
    const holders = (variable: string) =>
      HANDLERS.filter((name) => variable in functions[name].resource.Properties!.Environment.Variables).sort();
    expect(holders('KLINGFLOW_CALLBACK_SECRET_ARN')).toEqual(['callback', 'submit']);
    expect(holders('KLINGFLOW_WEBHOOK_SECRET_ARN')).toEqual(['webhook']);
    // Share links: notify and webhook sign them, api checks them.
    expect(holders('KLINGFLOW_SHARE_SECRET_ARN')).toEqual(['api', 'notify', 'webhook']);
    const env = (name: HandlerName) => functions[name].resource.Properties!.Environment.Variables as Record<string, unknown>;
    for (const name of ['callback', 'submit'] as const) {
      expect(env(name).KLINGFLOW_CALLBACK_SECRET_ARN).toEqual({ Ref: secret('klingflow/callback-secret')[0] });
    }
    expect(env('webhook').KLINGFLOW_WEBHOOK_SECRET_ARN).toEqual({ Ref: secret('klingflow/webhook-secret')[0] });
    for (const name of ['api', 'notify', 'webhook'] as const) {
      expect(env(name).KLINGFLOW_SHARE_SECRET_ARN).toEqual({ Ref: secret('klingflow/share-secret')[0] });
    }
  });
});

describe('Lambda functions', () => {
  it('one per handler: nodejs24.x on arm64, X-Ray active, JSON logs to its own log group with retention', () => {
    const functions = functionsByHandler(template);
    expect(Object.keys(functions).sort()).toEqual([...HANDLERS].sort());
    // Besides the handlers only CDK's bucket-notifications function (see "uploads trigger").
    expect(resourcesOfType(template, 'AWS::Lambda::Function')).toHaveLength(HANDLERS.length + 1);
    const logGroups = new Set<string>();
    for (const { resource } of Object.values(functions)) {
      const props = resource.Properties!;
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.LoggingConfig.LogFormat).toBe('JSON');
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      logGroups.add(logGroupId);
      expect(template.Resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      expect(template.Resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
    }
    expect(logGroups.size).toBe(HANDLERS.length);
  });

  it('each has its own role with no managed policies', () => {
    const roles = Object.values(functionsByHandler(template)).map((f) => f.roleLogicalId);
    expect(new Set(roles).size).toBe(HANDLERS.length);
    for (const roleId of roles) {
      const role = template.Resources[roleId];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }),
      ]);
    }
  });

  const sizing: Record<HandlerName, [memory: number, timeoutSeconds: number]> = {
    api: [512, 30],
    callback: [256, 30],
    validate: [256, 30],
    'await-slot': [256, 30],
    'release-slot': [256, 30],
    submit: [256, 30],
    'await-result': [256, 30],
    // Polls a task near its completion a few seconds apart within one invocation (NEAR_POLLING_SECONDS, 80 s).
    'poll-status': [256, 90],
    archive: [1024, 900],
    'mark-failed': [256, 30],
    notify: [256, 30],
    webhook: [256, 30],
    's3-upload': [256, 60],
    reconcile: [512, 300],
  };
  it.each(Object.entries(sizing))('%s: %j MB / s', (name, [memory, timeout]) => {
    const props = functionsByHandler(template)[name as HandlerName].resource.Properties!;
    expect([props.MemorySize, props.Timeout]).toEqual([memory, timeout]);
  });

  // The contract with lambdas/aws/env.ts: exactly these variables per handler.
  const common = ['KLINGFLOW_JOBS_TABLE', 'POWERTOOLS_SERVICE_NAME'];
  const providers = ['KLINGFLOW_DEFAULT_PROVIDER', 'KLINGFLOW_ENABLED_PROVIDERS', 'KLINGFLOW_KLING_BASE_URL', 'KLINGFLOW_KLING_SECRET_ARN'];
  // Admission control (no provider is limited by default, so no KLINGFLOW_<ID>_MAX_CONCURRENCY).
  const admission = [
    'KLINGFLOW_ADMISSION_TABLE',
    'KLINGFLOW_SLOT_WAIT_SECONDS',
    'KLINGFLOW_SLOT_LEASE_SECONDS',
    'KLINGFLOW_MAX_QUEUE_SECONDS',
  ];
  // The spend guard: its counters and its caps (the SSM parameter).
  const spend = ['KLINGFLOW_SPEND_TABLE', 'KLINGFLOW_SPEND_CAPS_PARAMETER'];
  // Planning a job's next check (lambdas/jobs/next-check.ts): the deadlines, and the lease a wait must not outlast.
  const waitPlan = ['KLINGFLOW_DEADLINE_SECONDS', 'KLINGFLOW_SLOT_LEASE_SECONDS'];
  const expectedEnvironment: Record<HandlerName, string[]> = {
    api: [
      ...common,
      ...providers,
      'KLINGFLOW_OUTPUTS_BUCKET',
      'KLINGFLOW_STATE_MACHINE_ARN',
      'KLINGFLOW_PUBLIC_URL',
      'KLINGFLOW_MAX_POLLS',
      'KLINGFLOW_SLOT_WAIT_SECONDS',
      'KLINGFLOW_SHARE_SECRET_ARN',
      'KLINGFLOW_INPUTS_BUCKET',
      ...spend,
    ],
    callback: [...common, ...providers, 'KLINGFLOW_CALLBACK_SECRET_ARN'],
    validate: [...common, ...providers, 'KLINGFLOW_INPUTS_BUCKET'],
    'await-slot': [...common, ...admission],
    'release-slot': [...common, ...admission],
    // Admits the job first (admission control).
    submit: [
      ...common,
      ...providers,
      ...new Set([...waitPlan, ...admission]),
      'KLINGFLOW_INPUTS_BUCKET',
      'KLINGFLOW_PUBLIC_URL',
      'KLINGFLOW_CALLBACK_SECRET_ARN',
      ...spend,
    ],
    // Renews the slot's lease for each wait; the wait after the safety check polls the provider.
    'await-result': [...common, ...providers, ...admission],
    // Renews the slot's lease at every poll of a running task.
    'poll-status': [...new Set([...common, ...providers, ...admission, ...waitPlan])],
    // Releases the slot, archives, and completes the job (correcting the spend counters with the reported charge).
    archive: [...common, 'KLINGFLOW_OUTPUTS_BUCKET', 'KLINGFLOW_KLING_BASE_URL', ...admission, 'KLINGFLOW_SPEND_TABLE'],
    'mark-failed': [...common],
    notify: [
      ...common,
      'KLINGFLOW_OUTPUTS_BUCKET',
      'KLINGFLOW_NOTICES_TOPIC_ARN',
      'KLINGFLOW_PUBLIC_URL',
      'KLINGFLOW_SHARE_LINK_SECONDS',
      'KLINGFLOW_SHARE_SECRET_ARN',
    ],
    webhook: [
      ...common,
      'KLINGFLOW_WEBHOOK_SECRET_ARN',
      'KLINGFLOW_PUBLIC_URL',
      'KLINGFLOW_SHARE_LINK_SECONDS',
      'KLINGFLOW_SHARE_SECRET_ARN',
    ],
    // Creates jobs like the api (providers to choose from, the workflow's budget), but sends nothing to a provider.
    's3-upload': [
      ...common,
      'KLINGFLOW_INPUTS_BUCKET',
      'KLINGFLOW_STATE_MACHINE_ARN',
      'KLINGFLOW_ENABLED_PROVIDERS',
      'KLINGFLOW_DEFAULT_PROVIDER',
      'KLINGFLOW_MAX_POLLS',
      'KLINGFLOW_SLOT_WAIT_SECONDS',
    ],
    // Starts executions (re-drives and notices) with the workflow's budget; frees slots in the providers' pools; counts
    // jobs past their deadline (the longest of the per-model deadlines); polls overdue callback jobs' providers.
    reconcile: [...common, ...admission, ...providers, 'KLINGFLOW_STATE_MACHINE_ARN', 'KLINGFLOW_MAX_POLLS', 'KLINGFLOW_DEADLINE_SECONDS'],
  };
  it.each(HANDLERS)('%s: environment is exactly what the handler needs', (name) => {
    const variables = functionsByHandler(template)[name].resource.Properties!.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(variables).sort()).toEqual([...expectedEnvironment[name]].sort());
  });

  it('environment values point at the right resources', () => {
    const functions = functionsByHandler(template);
    const env = (name: HandlerName) => functions[name].resource.Properties!.Environment.Variables as Record<string, unknown>;
    const [tableId] = tableOf(template, 'jobs');
    const [stateMachineId] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    const [topicId] = topicOf(template, 'Notices');
    const [apiId] = onlyResourceOfType(template, 'AWS::ApiGatewayV2::Api');
    for (const name of HANDLERS) expect(env(name).KLINGFLOW_JOBS_TABLE).toEqual({ Ref: tableId });
    expect(env('api').KLINGFLOW_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    expect(env('s3-upload').KLINGFLOW_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    for (const name of ['s3-upload', 'validate', 'submit'] as const) expect(env(name).KLINGFLOW_INPUTS_BUCKET).toEqual({ Ref: inputsId });
    expect(env('s3-upload')).toMatchObject({
      KLINGFLOW_ENABLED_PROVIDERS: 'kling',
      KLINGFLOW_DEFAULT_PROVIDER: 'kling',
      KLINGFLOW_MAX_POLLS: '120',
    });
    expect(env('notify').KLINGFLOW_NOTICES_TOPIC_ARN).toEqual({ Ref: topicId });
    for (const name of ['api', 'submit', 'notify', 'webhook'] as const) {
      expect(env(name).KLINGFLOW_PUBLIC_URL).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
    }
    for (const name of ['notify', 'webhook'] as const) expect(env(name).KLINGFLOW_SHARE_LINK_SECONDS).toBe('604800');
    expect(env('api')).toMatchObject({
      KLINGFLOW_KLING_BASE_URL: 'https://api-singapore.klingai.com',
      KLINGFLOW_ENABLED_PROVIDERS: 'kling',
      KLINGFLOW_DEFAULT_PROVIDER: 'kling',
      KLINGFLOW_MAX_POLLS: '120',
      POWERTOOLS_SERVICE_NAME: 'klingflow',
    });
    // Source maps are not parsed at each cold start (see HANDLER_ENVIRONMENT).
    for (const name of HANDLERS) expect(env(name).NODE_OPTIONS).toBeUndefined();
  });

  it('provider settings follow the context (ids upper-cased, "-" as "_")', () => {
    const env = functionsByHandler(variant).submit.resource.Properties!.Environment.Variables as Record<string, unknown>;
    expect(env).toMatchObject({
      KLINGFLOW_ENABLED_PROVIDERS: 'kling,kling-v3-rest',
      KLINGFLOW_DEFAULT_PROVIDER: 'kling-v3-rest',
      KLINGFLOW_KLING_BASE_URL: 'https://api-singapore.klingai.com',
      KLINGFLOW_KLING_V3_REST_BASE_URL: 'https://reseller.example.com',
      KLINGFLOW_KLING_V3_REST_SECRET_ARN: { Ref: expect.any(String) },
    });
    const api = functionsByHandler(variant).api.resource.Properties!.Environment.Variables as Record<string, unknown>;
    expect(api).toMatchObject({ KLINGFLOW_MAX_POLLS: '7', KLINGFLOW_SLOT_WAIT_SECONDS: '20' });
    expect(api).not.toHaveProperty('KLINGFLOW_AWAIT_SECONDS');
  });

  it('maxConcurrency becomes KLINGFLOW_<ID>_MAX_CONCURRENCY on the admission-control handlers only', () => {
    const functions = functionsByHandler(variant);
    const [admissionId] = tableOf(variant, 'admission');
    const limits = { KLINGFLOW_KLING_MAX_CONCURRENCY: 'kling-free', KLINGFLOW_KLING_V3_REST_MAX_CONCURRENCY: '4,kling-v3=2' };
    for (const name of HANDLERS) {
      const env = functions[name].resource.Properties!.Environment.Variables as Record<string, unknown>;
      if (['submit', 'await-slot', 'release-slot', 'await-result', 'poll-status', 'archive', 'reconcile'].includes(name)) {
        expect(env, name).toMatchObject({
          ...limits,
          KLINGFLOW_ADMISSION_TABLE: { Ref: admissionId },
          KLINGFLOW_SLOT_WAIT_SECONDS: '20',
          KLINGFLOW_SLOT_LEASE_SECONDS: '900',
          KLINGFLOW_MAX_QUEUE_SECONDS: '21600',
        });
      } else {
        for (const variable of Object.keys(limits)) expect(env, name).not.toHaveProperty(variable);
      }
    }
  });

  it('providerSettings become KLINGFLOW_<ID>_<NAME> on the provider clients only', () => {
    const functions = functionsByHandler(variant);
    const settings = { KLINGFLOW_KLING_V3_REST_REGION: 'sg', KLINGFLOW_KLING_V3_REST_POLL_HINT: '3' };
    for (const name of HANDLERS) {
      const env = functions[name].resource.Properties!.Environment.Variables as Record<string, unknown>;
      if (PROVIDER_CLIENTS.includes(name)) expect(env, name).toMatchObject(settings);
      else for (const variable of Object.keys(settings)) expect(env, name).not.toHaveProperty(variable);
    }
    // The handlers that talk to providers; without providerSettings their environment is exactly the table above.
    expect(PROVIDER_CLIENTS).toEqual(['api', 'callback', 'validate', 'submit', 'await-result', 'poll-status', 'reconcile']);
  });
});

describe('HTTP API', () => {
  const routesOf = (t: CfnTemplate) =>
    new Map(resourcesOfType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties!.RouteKey as string, r.Properties!]));

  /** The handler behind a route: route → integration → function → klingflow:handler. */
  const handlerOf = (t: CfnTemplate, route: Record<string, any>): string => {
    const integrationId = render(route.Target).replace(/^integrations\/<(.+)>$/, '$1');
    const functionId = (t.Resources[integrationId].Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return t.Resources[functionId].Metadata['klingflow:handler'];
  };

  it('has exactly the routes of lambdas/http/routes.ts, each on its handler', () => {
    const routes = routesOf(template);
    expect([...routes.keys()].sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const route of ROUTES) expect(handlerOf(template, routes.get(routeKey(route))!)).toBe(route.handler);
  });

  it('uses IAM on authenticated routes and no authorizer on provider callbacks (default auth)', () => {
    const routes = routesOf(template);
    for (const route of ROUTES) {
      expect(routes.get(routeKey(route))!.AuthorizationType, routeKey(route)).toBe(route.auth ? 'AWS_IAM' : 'NONE');
    }
    expect(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')).toHaveLength(0);
  });

  it('uses a JWT authorizer from context when auth=jwt', () => {
    const [authorizerId, authorizer] = onlyResourceOfType(variant, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['klingflow-console', 'klingflow-cli'] },
    });
    const routes = routesOf(variant);
    for (const route of ROUTES) {
      const props = routes.get(routeKey(route))!;
      if (route.auth) expect(props).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      else expect(props.AuthorizationType).toBe('NONE');
    }
  });

  it('serves a $default stage with JSON access logs and throttling, and outputs its URL', () => {
    assertions.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
    const [apiId] = onlyResourceOfType(template, 'AWS::ApiGatewayV2::Api');
    expect(template.Outputs.ApiUrl.Value).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
  });
});

describe('CORS', () => {
  const corsOf = (t: CfnTemplate) => onlyResourceOfType(t, 'AWS::ApiGatewayV2::Api')[1].Properties!.CorsConfiguration;

  it('is off with no origin (no console, no corsOrigins), and follows lambdas/http/cors.ts with some', () => {
    expect(corsOf(template)).toBeUndefined();
    // The variant is a JWT deployment, so its web console adds its own CloudFront origin after the configured ones.
    const [distributionId] = onlyResourceOfType(variant, 'AWS::CloudFront::Distribution');
    expect(corsOf(variant)).toEqual({
      AllowOrigins: [
        'https://console.example.com',
        'http://localhost:5173',
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
      ],
      AllowMethods: [...CORS_POLICY.allowMethods],
      AllowHeaders: [...CORS_POLICY.allowHeaders],
      ExposeHeaders: ['location'],
      MaxAge: 3600,
      AllowCredentials: false,
    });
  });

  it('lets the same origins PUT upload tickets to the inputs bucket, and none without origins', () => {
    const inputsCors = (t: CfnTemplate) =>
      resourcesOfType(t, 'AWS::S3::Bucket')
        .map(([, bucket]) => bucket.Properties?.CorsConfiguration)
        .filter(Boolean);
    expect(inputsCors(template)).toEqual([]);
    // The variant's web console adds its own CloudFront origin here too.
    const [distributionId] = onlyResourceOfType(variant, 'AWS::CloudFront::Distribution');
    expect(inputsCors(variant)).toEqual([
      {
        CorsRules: [
          {
            AllowedMethods: ['PUT'],
            AllowedOrigins: [
              'https://console.example.com',
              'http://localhost:5173',
              { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
            ],
            AllowedHeaders: ['content-type'],
            MaxAge: 3600,
          },
        ],
      },
    ]);
  });

  it('takes the origins the console adds after the API was made', () => {
    const { app, stack } = createKlingflowApp({ outdir: mkdtempSync(join(tmpdir(), 'klingflow-cors-')) });
    stack.api.allowOrigin('https://d111111abcdef8.cloudfront.net');
    const synthesized = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    expect(corsOf(synthesized).AllowOrigins).toEqual(['https://d111111abcdef8.cloudfront.net']);
  });
});

describe('context', () => {
  const configFrom = (context: Record<string, unknown>) =>
    readKlingflowConfig({ tryGetContext: (key: string) => context[key] } as unknown as Node);

  it('defaults', () => {
    expect(configFrom({})).toEqual({
      notificationEmails: [],
      auth: { kind: 'iam' },
      enabledProviders: ['kling'],
      providerBaseUrls: { kling: 'https://api-singapore.klingai.com' },
      providerSettings: {},
      defaultProvider: 'kling',
      maxPolls: 120,
      deadlineSeconds: '1800',
      maxConcurrency: {},
      slotWaitSeconds: 60,
      slotLeaseSeconds: 900,
      maxQueueSeconds: 21_600,
      shareLinkSeconds: 604800,
      console: false,
      corsOrigins: [],
      reconcileMinutes: 10,
      alarmEmails: [],
      alarms: ALARM_DEFAULTS,
      adminPrincipals: [],
      spendCaps: {},
    });
    expect(configFrom({ shareLinkSeconds: '3600' }).shareLinkSeconds).toBe(3600);
  });

  it('reads corsOrigins as origins, refusing anything with a path, a trailing slash or another scheme', () => {
    expect(configFrom({ corsOrigins: 'https://a.example.com,http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
    expect(configFrom({ corsOrigins: ['*'] }).corsOrigins).toEqual(['*']);
    for (const bad of ['https://a.example.com/', 'https://a.example.com/console', 'ftp://a.example.com', 'a.example.com']) {
      expect(() => configFrom({ corsOrigins: bad }), bad).toThrow(/Context corsOrigins: .* is not an origin/);
    }
  });

  it('puts spendCaps into a generated-name SSM parameter (default {}), readable by api and submit only, named by an output', () => {
    expect(() => configFrom({ spendCaps: '{"daily": {"kling": {"usd": "5"}}}' })).toThrow(/^Context spendCaps: daily\.kling\.usd/);
    const caps = { daily: { total: { usd: 5 } }, monthly: { kling: { jobs: 100 } } };
    const synthesized = synthesizeTemplate({ context: { spendCaps: JSON.stringify(caps) } });
    const [parameterId, parameter] = onlyResourceOfType(synthesized, 'AWS::SSM::Parameter');
    expect(JSON.parse(parameter.Properties!.Value)).toEqual(caps);
    expect(parameter.Properties!.Name).toBeUndefined();
    expect(synthesized.Outputs.SpendCapsParameterName.Value).toEqual({ Ref: parameterId });
    const [, byDefault] = onlyResourceOfType(template, 'AWS::SSM::Parameter');
    expect(byDefault.Properties!.Value).toBe('{}');
    const [, spend] = tableOf(template, 'spend');
    expect(spend.Properties!.KeySchema).toEqual([
      { AttributeName: 'period', KeyType: 'HASH' },
      { AttributeName: 'scope', KeyType: 'RANGE' },
    ]);
    const readers = Object.entries(functionsByHandler(template))
      .filter(([, fn]) => 'KLINGFLOW_SPEND_CAPS_PARAMETER' in fn.resource.Properties!.Environment.Variables)
      .map(([name]) => name)
      .sort();
    expect(readers).toEqual(['api', 'submit']);
  });

  it('reads adminPrincipals as ARN patterns, refusing anything else by name, and gives them to the api function only', () => {
    const pattern = 'arn:aws:sts::123456789012:assumed-role/KlingflowAdmin/*';
    expect(configFrom({ adminPrincipals: pattern }).adminPrincipals).toEqual([pattern]);
    expect(() => configFrom({ adminPrincipals: 'KlingflowAdmin' })).toThrow(
      /Context adminPrincipals: "KlingflowAdmin" is not an ARN pattern/,
    );
    const synthesized = synthesizeTemplate({ context: { adminPrincipals: pattern } });
    const withAdmins = Object.values(synthesized.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .filter(
        (r) => (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.KLINGFLOW_ADMIN_PRINCIPALS,
      );
    expect(withAdmins).toHaveLength(1);
    expect((withAdmins[0]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.KLINGFLOW_ADMIN_PRINCIPALS).toBe(
      pattern,
    );
  });

  it('reads deadlineSeconds: seconds, per-model seconds or an object, checked as the handlers read them', () => {
    expect(configFrom({ deadlineSeconds: 3600 }).deadlineSeconds).toBe('3600');
    expect(configFrom({ deadlineSeconds: '1800,kling-v3=3600' }).deadlineSeconds).toBe('1800,kling-v3=3600');
    expect(configFrom({ deadlineSeconds: { default: 1200, 'kling-v3': 2400 } }).deadlineSeconds).toBe('1200,kling-v3=2400');
    expect(configFrom({ deadlineSeconds: '{"kling-v3": 2400}' }).deadlineSeconds).toBe('kling-v3=2400');
    expect(() => configFrom({ deadlineSeconds: 'soon' })).toThrow(/deadlineSeconds/);
    expect(() => configFrom({ deadlineSeconds: '0' })).toThrow(/deadlineSeconds/);
  });

  it('reads maxConcurrency per provider: a count, a plan or per-model counts, checked as the handlers read them', () => {
    expect(configFrom({ enabledProviders: 'kling,fal', maxConcurrency: { kling: 3, fal: '4,kling-o3=2' } }).maxConcurrency).toEqual({
      kling: '3',
      fal: '4,kling-o3=2',
    });
    expect(configFrom({ maxConcurrency: '{"kling":"kling-standard"}' }).maxConcurrency).toEqual({ kling: 'kling-standard' });
  });

  it('accepts lists as arrays, JSON or comma-separated strings', () => {
    expect(configFrom({ notificationEmails: ['a@example.com'] }).notificationEmails).toEqual(['a@example.com']);
    expect(configFrom({ notificationEmails: '["a@example.com","b@example.com"]' }).notificationEmails).toHaveLength(2);
    expect(
      configFrom({ enabledProviders: 'kling, kling-v3-rest', providerBaseUrls: { 'kling-v3-rest': 'https://r.example.com' } })
        .enabledProviders,
    ).toEqual(['kling', 'kling-v3-rest']);
  });

  it('knows a default base URL for every provider', () => {
    expect(DEFAULT_PROVIDER_BASE_URLS).toEqual({
      kling: 'https://api-singapore.klingai.com',
      'kling-v3-rest': 'https://api.klingai.com',
      'kling-ai': 'https://api.kling.ai',
      klinggenerator: 'https://api.klinggenerator.com',
      kling3api: 'https://kling3api.com',
      fal: 'https://queue.fal.run',
      replicate: 'https://api.replicate.com',
    });
    const all = Object.keys(DEFAULT_PROVIDER_BASE_URLS);
    expect(configFrom({ enabledProviders: all }).providerBaseUrls).toEqual(DEFAULT_PROVIDER_BASE_URLS);
    expect(configFrom({ enabledProviders: 'kling,fal', providerBaseUrls: '{"fal":"https://fal.example.com"}' }).providerBaseUrls.fal).toBe(
      'https://fal.example.com',
    );
  });

  it('reads providerSettings as an object or JSON; values become strings', () => {
    expect(
      configFrom({
        enabledProviders: 'kling,fal',
        providerSettings: { fal: { JWKS_URL: 'https://x.example.com/jwks', RETRIES: 2, STRICT: true } },
      }).providerSettings,
    ).toEqual({ fal: { JWKS_URL: 'https://x.example.com/jwks', RETRIES: '2', STRICT: 'true' } });
    expect(configFrom({ providerSettings: '{"kling":{"MODE":"fast"}}' }).providerSettings).toEqual({ kling: { MODE: 'fast' } });
    expect(configFrom({ providerSettings: '{"kling":{}}' }).providerSettings).toEqual({});
  });

  it.each([
    [{ providerSettings: { fal: { X: '1' } } }, /providerSettings\.fal: "fal" is not in enabledProviders/],
    [{ providerSettings: { kling: 'MODE=fast' } }, /providerSettings\.kling: expected an object/],
    [{ providerSettings: '[1]' }, /providerSettings: expected an object/],
    [{ providerSettings: '{not json' }, /providerSettings: .* is not valid JSON/],
    [{ providerSettings: { kling: { 'lower-case': 'x' } } }, /upper-case letters/],
    [{ providerSettings: { kling: { BASE_URL: 'https://x.example.com' } } }, /BASE_URL: reserved/],
    [{ providerSettings: { kling: { SECRET_ARN: 'arn:x' } } }, /SECRET_ARN: reserved/],
    [{ providerSettings: { kling: { API_KEY: 'k' } } }, /API_KEY: reserved/],
    [{ providerSettings: { kling: { MAX_CONCURRENCY: 3 } } }, /MAX_CONCURRENCY: reserved/],
    [{ providerSettings: { kling: { SIGNING_SECRET: 's' } } }, /looks like a credential/],
    [{ providerSettings: { kling: { AUTH_TOKEN: 't' } } }, /looks like a credential/],
    [{ providerSettings: { kling: { MODE: { nested: true } } } }, /MODE: expected a string, number or boolean/],
    [
      { enabledProviders: 'kling,kling-v3-rest', providerSettings: { kling: { V3_REST_MODE: 'x' } } },
      /KLINGFLOW_KLING_V3_REST_MODE would read as a setting of provider "kling-v3-rest"/,
    ],
  ])('rejects providerSettings %j', (context, message) => {
    expect(() => configFrom(context)).toThrow(message);
  });

  it.each([
    [{ auth: 'jwt' }, /jwtIssuer/],
    [{ auth: 'jwt', jwtIssuer: 'https://issuer.example.com' }, /jwtAudience/],
    [{ auth: 'cognito' }, /auth/],
    [{ enabledProviders: 'kling,acme' }, /no base URL for enabled provider "acme"/],
    [{ defaultProvider: 'fal' }, /defaultProvider/],
    [{ enabledProviders: 'Kling' }, /not a provider id/],
    [{ notificationEmails: 'not-an-address' }, /notificationEmails/],
    [{ maxPolls: '0' }, /maxPolls/],
    [{ maxConcurrency: { fal: 3 } }, /maxConcurrency\.fal: "fal" is not in enabledProviders/],
    [{ maxConcurrency: { kling: 0 } }, /maxConcurrency\.kling: 0 is not a number of slots/],
    [{ maxConcurrency: { kling: 'kling-gold' } }, /"kling-gold" is neither a number nor a known plan/],
    [{ maxConcurrency: { kling: 'kling-v3=2,kling-v3=3' } }, /model kling-v3 is given twice/],
    [{ maxConcurrency: { kling: true } }, /expected a number or a string/],
    [{ slotWaitSeconds: 0 }, /slotWaitSeconds/],
  ])('rejects %j', (context, message) => {
    expect(() => configFrom(context)).toThrow(message);
  });
});
