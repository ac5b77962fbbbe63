// Least privilege: every identity statement in the template, and each handler role's exact set of actions.
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import type { HandlerName } from '../../lambdas/workflow/contract.ts';
import { PROVIDER_CLIENTS } from '../../lib/handler-access.ts';
import { BUCKET_NOTIFICATIONS_HANDLER_ID } from '../../lib/storage.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import {
  type CfnTemplate,
  type PolicyStatement,
  actionsOf,
  allIdentityStatements,
  asArray,
  bucketsOf,
  functionsByHandler,
  onlyResourceOfType,
  tableOf,
  render,
  resourcesOfType,
  roleStatements,
} from './template-queries.ts';

let template: CfnTemplate;
let statements: PolicyStatement[];

beforeAll(() => {
  template = synthesizeTemplate();
  statements = allIdentityStatements(template);
});

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const JOB_READ_UPDATE = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
const SECRETS = ['secretsmanager:GetSecretValue'];
const READ_UPLOADS = ['s3:GetObject', 's3:GetObjectVersion'];
/** ListBucket on the inputs bucket, under uploads/ only: without it S3 says 403 for a missing key, not 404. */
const LIST_UPLOADS = ['s3:ListBucket'];
/** Admission control: slots and queue entries (consistent queries, conditional updates, dequeues). */
const USE_SLOTS = ['dynamodb:Query', 'dynamodb:DeleteItem'];

/** Every action each handler's role may take, nothing more. */
const EXPECTED_ACTIONS: Record<HandlerName, string[]> = {
  api: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'states:StartExecution',
    'states:SendTaskFailure',
    's3:GetObject',
    // POST /v1/uploads: the manifest, and the presigned PUT of the image (uploads/* only).
    's3:PutObject',
    ...SECRETS,
    'ssm:GetParameter',
  ],
  callback: [...JOB_READ_UPDATE, 'states:SendTaskSuccess', 'states:SendTaskFailure', ...SECRETS],
  validate: [...JOB_READ_UPDATE, ...SECRETS, ...READ_UPLOADS, ...LIST_UPLOADS],
  'await-slot': [...JOB_READ_UPDATE, ...USE_SLOTS, 'states:SendTaskSuccess', 'states:SendTaskFailure'],
  'release-slot': [...JOB_READ_UPDATE, ...USE_SLOTS, 'states:SendTaskSuccess'],
  // Admits the job first (a slot of its provider's pool; a free slot may go to an older waiter, whose wait it wakes).
  submit: [...JOB_READ_UPDATE, ...SECRETS, ...READ_UPLOADS, 'ssm:GetParameter', ...USE_SLOTS, 'states:SendTaskSuccess'],
  // The wait after the safety check polls the provider first.
  'await-result': [...JOB_READ_UPDATE, ...USE_SLOTS, 'states:SendTaskSuccess', 'states:SendTaskFailure', ...SECRETS],
  'poll-status': [...JOB_READ_UPDATE, ...USE_SLOTS, ...SECRETS],
  // Releases the slot first (waking the job it goes to), archives, completes (correcting the spend counters).
  archive: [...JOB_READ_UPDATE, ...USE_SLOTS, 'states:SendTaskSuccess', 's3:PutObject', 's3:AbortMultipartUpload'],
  'mark-failed': [...JOB_READ_UPDATE],
  // Reads the share secret to sign the links in the notice.
  notify: [...JOB_READ_UPDATE, 'sns:Publish', ...SECRETS],
  webhook: [...JOB_READ_UPDATE, ...SECRETS],
  's3-upload': ['dynamodb:GetItem', 'dynamodb:PutItem', ...READ_UPLOADS, ...LIST_UPLOADS, 'states:StartExecution', 'sqs:SendMessage'],
  // The safety poll of an overdue callback job reads its provider's secret, and wakes the wait with SendTaskSuccess.
  reconcile: [
    ...JOB_READ_UPDATE,
    'dynamodb:Scan',
    ...USE_SLOTS,
    'states:StartExecution',
    'states:SendTaskSuccess',
    'states:DescribeExecution',
    'sqs:SendMessage',
    ...SECRETS,
  ],
};

describe('every identity statement', () => {
  it('allows only (no Deny/NotAction/NotResource tricks)', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
    }
  });

  it('names every action: no "*", no "service:*", no wildcard in an action', () => {
    const actions = actionsOf(statements);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action, action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
  });

  it('never grants a whole-table index wildcard (…/index/*)', () => {
    for (const statement of statements) {
      for (const resource of asArray(statement.Resource).map(render)) expect(resource).not.toMatch(/\/index\/\*$/);
    }
  });

  it('touches DynamoDB indexes only to Query, and only the three named indexes', () => {
    const [tableId] = tableOf(template, 'jobs');
    const indexResources = new Set<string>();
    for (const statement of statements) {
      for (const resource of asArray(statement.Resource).map(render)) {
        if (!resource.includes('/index/')) continue;
        indexResources.add(resource);
        expect(asArray(statement.Action)).toEqual(['dynamodb:Query']);
      }
    }
    expect([...indexResources].sort()).toEqual([
      `<${tableId}.Arn>/index/byCreatedAt`,
      `<${tableId}.Arn>/index/byOwner`,
      `<${tableId}.Arn>/index/byStatus`,
    ]);
  });

  it('uses Resource "*" only for actions without resource-level permissions (X-Ray, log delivery)', () => {
    const starActions = actionsOf(statements.filter((s) => asArray(s.Resource).includes('*')));
    for (const action of starActions) {
      expect(action).toMatch(
        /^xray:|^logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)$|^logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/,
      );
    }
  });

  it('attaches no managed policies to any role', () => {
    for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
  });
});

describe('handler roles', () => {
  it.each(HANDLERS)('%s: exactly the actions it needs', (name) => {
    const { roleLogicalId } = functionsByHandler(template)[name];
    expect(actionsOf(roleStatements(template, roleLogicalId))).toEqual([...EXPECTED_ACTIONS[name], ...LOGS, ...XRAY].sort());
  });

  it.each(HANDLERS)('%s: writes logs to its own log group only', (name) => {
    const fn = functionsByHandler(template)[name];
    const logStatements = roleStatements(template, fn.roleLogicalId).filter((s) => asArray(s.Action).some((a) => a.startsWith('logs:')));
    const ownLogGroup = fn.resource.Properties!.LoggingConfig.LogGroup.Ref as string;
    expect(logStatements.flatMap((s) => asArray(s.Resource).map(render))).toEqual([`<${ownLogGroup}.Arn>`]);
  });

  /** Resources of one action in a handler's role, rendered. */
  const resourcesFor = (name: HandlerName, action: string): string[] => {
    const { roleLogicalId } = functionsByHandler(template)[name];
    return roleStatements(template, roleLogicalId)
      .filter((s) => asArray(s.Action).includes(action))
      .flatMap((s) => asArray(s.Resource).map(render))
      .sort();
  };

  it('table actions name the Jobs table itself, or (admission control only) the admission table, or (the spend guard) the spend table', () => {
    const [tableId] = tableOf(template, 'jobs');
    const [admissionId] = tableOf(template, 'admission');
    const [spendId] = tableOf(template, 'spend');
    // api reads the counters (the check at create), submit counts (reads back a refusal), archive (completing) corrects.
    const spendUsers: Partial<Record<HandlerName, string[]>> = {
      api: ['dynamodb:GetItem'],
      submit: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      archive: ['dynamodb:UpdateItem'],
    };
    const slotUsers: readonly HandlerName[] = [
      'submit',
      'await-slot',
      'release-slot',
      'await-result',
      'poll-status',
      'archive',
      'reconcile',
    ];
    for (const name of HANDLERS) {
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) {
        const expected = action !== 'dynamodb:PutItem' && slotUsers.includes(name) ? [`<${admissionId}.Arn>`, `<${tableId}.Arn>`] : [];
        const resources = resourcesFor(name, action).filter((resource) => resource !== `<${spendId}.Arn>`);
        if (expected.length) expect(resources, `${name} ${action}`).toEqual(expected.sort());
        else for (const resource of resources) expect(resource).toBe(`<${tableId}.Arn>`);
        expect(resourcesFor(name, action).includes(`<${spendId}.Arn>`), `${name} ${action} on the spend table`).toBe(
          spendUsers[name]?.includes(action) ?? false,
        );
      }
      for (const action of ['dynamodb:DeleteItem']) {
        expect(resourcesFor(name, action), name).toEqual(slotUsers.includes(name) ? [`<${admissionId}.Arn>`] : []);
      }
    }
    // Only the reconciler reads the whole base table (an index can lag or lose an entry).
    for (const name of HANDLERS)
      expect(resourcesFor(name, 'dynamodb:Scan'), name).toEqual(name === 'reconcile' ? [`<${tableId}.Arn>`] : []);
    expect(resourcesFor('api', 'dynamodb:Query')).toEqual(
      [
        `<${tableId}.Arn>`,
        `<${tableId}.Arn>/index/byCreatedAt`,
        `<${tableId}.Arn>/index/byOwner`,
        `<${tableId}.Arn>/index/byStatus`,
      ].sort(),
    );
  });

  it('state machine actions name the klingflow state machine, and nothing may stop an execution', () => {
    const [stateMachineId] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    for (const name of HANDLERS) {
      const expected = name === 'api' || name === 's3-upload' || name === 'reconcile' ? [`<${stateMachineId}>`] : [];
      expect(resourcesFor(name, 'states:StartExecution'), name).toEqual(expected);
    }
    // Only the reconciler looks at executions, and only at this state machine's.
    for (const name of HANDLERS) {
      const expected =
        name === 'reconcile' ? [`arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachineId}.Name>:*`] : [];
      expect(resourcesFor(name, 'states:DescribeExecution'), name).toEqual(expected);
    }
    for (const name of HANDLERS) expect(resourcesFor(name, 'states:StopExecution'), name).toEqual([]);
    for (const name of ['callback', 'await-result', 'await-slot'] as const) {
      expect(resourcesFor(name, 'states:SendTaskSuccess')).toEqual([`<${stateMachineId}>`]);
      expect(resourcesFor(name, 'states:SendTaskFailure')).toEqual([`<${stateMachineId}>`]);
    }
    // The job that frees a slot wakes the job it hands the slot to.
    for (const name of ['submit', 'release-slot', 'archive', 'reconcile'] as const)
      expect(resourcesFor(name, 'states:SendTaskSuccess')).toEqual([`<${stateMachineId}>`]);
    // Cancelling wakes the job's wait with a failure.
    expect(resourcesFor('api', 'states:SendTaskFailure')).toEqual([`<${stateMachineId}>`]);
  });

  it('S3 actions are limited to jobs/* in the outputs bucket and uploads/* in the inputs bucket; SNS to the Notices topic', () => {
    const {
      outputs: [outputsId],
      inputs: [inputsId],
    } = bucketsOf(template);
    expect(resourcesFor('api', 's3:GetObject')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    expect(resourcesFor('archive', 's3:PutObject')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    expect(resourcesFor('archive', 's3:AbortMultipartUpload')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    for (const reader of ['validate', 'submit', 's3-upload'] as const) {
      expect(resourcesFor(reader, 's3:GetObject')).toEqual([`<${inputsId}.Arn>/uploads/*`]);
    }
    const [topicId] = resourcesOfType(template, 'AWS::SNS::Topic').find(([id]) => id.startsWith('NotificationsNotices'))!;
    expect(resourcesFor('notify', 'sns:Publish')).toEqual([`<${topicId}>`]);
    for (const name of HANDLERS) if (name !== 'notify') expect(resourcesFor(name, 'sns:Publish'), name).toEqual([]);
  });

  it('an asynchronously invoked function may send only to its own dead-letter queue; no other handler touches SQS', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id);
    const queueOf = (prefix: string) => queues.find((id) => id.startsWith(prefix))!;
    expect(resourcesFor('s3-upload', 'sqs:SendMessage')).toEqual([`<${queueOf('OperationsS3UploadDeadLetters')}.Arn>`]);
    expect(resourcesFor('reconcile', 'sqs:SendMessage')).toEqual([`<${queueOf('OperationsReconcileDeadLetters')}.Arn>`]);
    for (const name of HANDLERS) {
      if (name === 's3-upload' || name === 'reconcile') continue;
      expect(
        actionsOf(roleStatements(template, functionsByHandler(template)[name].roleLogicalId)).filter((a) => a.startsWith('sqs:')),
        name,
      ).toEqual([]);
    }
  });

  it('validate, submit and s3-upload read only uploads/* of the inputs bucket, the api writes only there; nothing else touches it', () => {
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    const readers = ['validate', 'submit', 's3-upload'] as const;
    for (const name of readers) {
      for (const action of READ_UPLOADS) expect(resourcesFor(name, action), `${name} ${action}`).toEqual([`<${inputsId}.Arn>/uploads/*`]);
      const statements = roleStatements(template, functionsByHandler(template)[name].roleLogicalId);
      const s3Actions = actionsOf(statements).filter((a) => a.startsWith('s3:'));
      const lists = name !== 'submit';
      expect(s3Actions, name).toEqual(lists ? [...READ_UPLOADS, ...LIST_UPLOADS] : READ_UPLOADS);
      if (lists) {
        const list = statements.filter((st) => asArray(st.Action).includes('s3:ListBucket'));
        expect(
          list.map((st) => ({ resources: asArray(st.Resource).map(render), condition: st.Condition })),
          name,
        ).toEqual([{ resources: [`<${inputsId}.Arn>`], condition: { StringLike: { 's3:prefix': ['uploads/*'] } } }]);
      }
    }
    // The api writes upload tickets (the manifest, and the presigned PUT of the image) under uploads/* only.
    expect(resourcesFor('api', 's3:PutObject')).toEqual([`<${inputsId}.Arn>/uploads/*`]);
    for (const name of HANDLERS.filter((n) => !(readers as readonly string[]).includes(n) && n !== 'api')) {
      const { roleLogicalId } = functionsByHandler(template)[name];
      for (const statement of roleStatements(template, roleLogicalId)) {
        for (const resource of asArray(statement.Resource).map(render)) expect(resource, name).not.toContain(inputsId);
      }
    }
  });

  it('each secret is read by exactly the handlers that need it', () => {
    const secretId = (name: string) =>
      resourcesOfType(template, 'AWS::SecretsManager::Secret').find(([, s]) => s.Metadata?.['klingflow:secret'] === name)![0];
    const readersOf = (id: string) =>
      HANDLERS.filter((name) => resourcesFor(name, 'secretsmanager:GetSecretValue').includes(`<${id}>`)).sort();
    expect(readersOf(secretId('klingflow/providers/kling'))).toEqual([...PROVIDER_CLIENTS].sort());
    expect(readersOf(secretId('klingflow/callback-secret'))).toEqual(['callback', 'submit']);
    expect(readersOf(secretId('klingflow/webhook-secret'))).toEqual(['webhook']);
    // ...and no handler may read anything else from Secrets Manager.
    const secretIds = new Set(resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([id]) => `<${id}>`));
    for (const name of HANDLERS)
      for (const resource of resourcesFor(name, 'secretsmanager:GetSecretValue')) expect(secretIds).toContain(resource);
    // No other role (state machine, bucket-notifications handler) reads secrets.
    const handlerRoles = new Set(Object.values(functionsByHandler(template)).map((f) => f.roleLogicalId));
    for (const [roleId] of resourcesOfType(template, 'AWS::IAM::Role')) {
      if (handlerRoles.has(roleId)) continue;
      expect(
        actionsOf(roleStatements(template, roleId)).filter((a) => a.startsWith('secretsmanager:')),
        roleId,
      ).toEqual([]);
    }
  });

  it('s3-upload: exactly these statements (create the job, read the upload, start the execution)', () => {
    const { roleLogicalId } = functionsByHandler(template)['s3-upload'];
    const [tableId] = tableOf(template, 'jobs');
    const [stateMachineId] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    const statements = roleStatements(template, roleLogicalId)
      .filter((s) => !asArray(s.Action).some((a) => /^(logs|xray):/.test(a)))
      .map((s) => ({ actions: [...asArray(s.Action)].sort(), resources: asArray(s.Resource).map(render), condition: s.Condition }));
    expect(statements).toEqual(
      expect.arrayContaining([
        { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [`<${tableId}.Arn>`], condition: undefined },
        { actions: READ_UPLOADS, resources: [`<${inputsId}.Arn>/uploads/*`], condition: undefined },
        { actions: ['states:StartExecution'], resources: [`<${stateMachineId}>`], condition: undefined },
        { actions: LIST_UPLOADS, resources: [`<${inputsId}.Arn>`], condition: { StringLike: { 's3:prefix': ['uploads/*'] } } },
        {
          actions: ['sqs:SendMessage'],
          resources: [expect.stringMatching(/^<OperationsS3UploadDeadLetters[0-9A-F]+\.Arn>$/)],
          condition: undefined,
        },
      ]),
    );
    expect(statements).toHaveLength(5);
  });
});

describe('uploads trigger', () => {
  it('only S3, for the inputs bucket in this account, may invoke s3-upload', () => {
    const fn = functionsByHandler(template)['s3-upload'];
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, p]) =>
        render(p.Properties!.FunctionName) === `<${fn.logicalId}.Arn>` || render(p.Properties!.FunctionName) === `<${fn.logicalId}>`,
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
        Principal: 's3.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::GetAtt': [inputsId, 'Arn'] },
      },
    ]);
    // S3 may invoke no other function.
    const s3Permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties!.Principal === 's3.amazonaws.com',
    );
    expect(s3Permissions).toHaveLength(1);
  });

  it("the bucket-notifications handler may only log to its own log group and put the inputs bucket's notifications", () => {
    const handlerId = Object.keys(template.Resources).find((id) => id.startsWith(BUCKET_NOTIFICATIONS_HANDLER_ID))!;
    const handler = template.Resources[handlerId];
    expect(handler.Type).toBe('AWS::Lambda::Function');
    const roleId = handler.Properties.Role['Fn::GetAtt'][0] as string;
    const logGroupId = handler.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(template.Resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
    const {
      inputs: [inputsId],
    } = bucketsOf(template);
    expect(template.Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = roleStatements(template, roleId).map((s) => ({
      actions: [...asArray(s.Action)].sort(),
      resources: asArray(s.Resource).map(render),
    }));
    expect(statements).toEqual(
      expect.arrayContaining([
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`<${logGroupId}.Arn>`] },
        { actions: ['s3:PutBucketNotification'], resources: [`<${inputsId}.Arn>`] },
      ]),
    );
    expect(statements).toHaveLength(2);
  });
});

describe('state machine role', () => {
  it('may invoke exactly the workflow functions (not api, callback, s3-upload or reconcile), log and trace', () => {
    const [, stateMachine] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    const roleId = (stateMachine.Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const roleStatementsOfMachine = roleStatements(template, roleId);
    const invoked = roleStatementsOfMachine
      .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'))
      .flatMap((s) => asArray(s.Resource).map(render));
    const functions = functionsByHandler(template);
    const workflowHandlers = HANDLERS.filter((name) => !['api', 'callback', 's3-upload', 'reconcile'].includes(name));
    const expected = workflowHandlers.flatMap((name) => [`<${functions[name].logicalId}.Arn>`, `<${functions[name].logicalId}.Arn>:*`]);
    expect(invoked.sort()).toEqual(expected.sort());
    for (const action of actionsOf(roleStatementsOfMachine)) expect(action).toMatch(/^lambda:InvokeFunction$|^logs:|^xray:/);
  });
});
