// Least privilege: every identity statement in the template, and each handler role's exact set of actions.
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../lambdas/domain/workflow.ts';
import type { HandlerName } from '../../lambdas/domain/workflow.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import {
  type CfnTemplate,
  type PolicyStatement,
  actionsOf,
  allIdentityStatements,
  asArray,
  functionsByHandler,
  onlyResourceOfType,
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

/** Every action each handler's role may take, nothing more. */
const EXPECTED_ACTIONS: Record<HandlerName, string[]> = {
  api: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'states:StartExecution',
    'states:StopExecution',
    's3:GetObject',
    ...SECRETS,
  ],
  callback: [...JOB_READ_UPDATE, 'states:SendTaskSuccess', 'states:SendTaskFailure', ...SECRETS],
  validate: [...JOB_READ_UPDATE, ...SECRETS],
  submit: [...JOB_READ_UPDATE, ...SECRETS],
  'await-result': [...JOB_READ_UPDATE, 'states:SendTaskSuccess', 'states:SendTaskFailure'],
  'poll-status': [...JOB_READ_UPDATE, ...SECRETS],
  archive: [...JOB_READ_UPDATE, 's3:PutObject', 's3:AbortMultipartUpload'],
  complete: [...JOB_READ_UPDATE],
  'mark-failed': [...JOB_READ_UPDATE],
  notify: [...JOB_READ_UPDATE, 'sns:Publish'],
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

  it('touches DynamoDB indexes only to Query, and only the two named indexes', () => {
    const [tableId] = onlyResourceOfType(template, 'AWS::DynamoDB::GlobalTable');
    const indexResources = new Set<string>();
    for (const statement of statements) {
      for (const resource of asArray(statement.Resource).map(render)) {
        if (!resource.includes('/index/')) continue;
        indexResources.add(resource);
        expect(asArray(statement.Action)).toEqual(['dynamodb:Query']);
      }
    }
    expect([...indexResources].sort()).toEqual([`<${tableId}.Arn>/index/byCreatedAt`, `<${tableId}.Arn>/index/byStatus`]);
  });

  it('uses Resource "*" only for actions without resource-level permissions (X-Ray, log delivery)', () => {
    const starActions = actionsOf(statements.filter((s) => asArray(s.Resource).includes('*')));
    for (const action of starActions) {
      expect(action).toMatch(/^xray:|^logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)$|^logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/);
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

  it('table actions name the Jobs table itself', () => {
    const [tableId] = onlyResourceOfType(template, 'AWS::DynamoDB::GlobalTable');
    for (const name of HANDLERS) {
      for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']) {
        for (const resource of resourcesFor(name, action)) expect(resource).toBe(`<${tableId}.Arn>`);
      }
    }
    expect(resourcesFor('api', 'dynamodb:Query')).toEqual(
      [`<${tableId}.Arn>`, `<${tableId}.Arn>/index/byCreatedAt`, `<${tableId}.Arn>/index/byStatus`].sort(),
    );
  });

  it('state machine actions name the klingflow state machine (and its executions for StopExecution)', () => {
    const [stateMachineId] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    expect(resourcesFor('api', 'states:StartExecution')).toEqual([`<${stateMachineId}>`]);
    expect(resourcesFor('api', 'states:StopExecution')).toEqual([
      `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachineId}.Name>:*`,
    ]);
    for (const name of ['callback', 'await-result'] as const) {
      expect(resourcesFor(name, 'states:SendTaskSuccess')).toEqual([`<${stateMachineId}>`]);
      expect(resourcesFor(name, 'states:SendTaskFailure')).toEqual([`<${stateMachineId}>`]);
    }
  });

  it('S3 actions are limited to jobs/* in the outputs bucket; SNS to the Notices topic; secrets to provider secrets', () => {
    const outputsId = resourcesOfType(template, 'AWS::S3::Bucket').find(([, b]) => b.Properties!.LoggingConfiguration)![0];
    expect(resourcesFor('api', 's3:GetObject')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    expect(resourcesFor('archive', 's3:PutObject')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    expect(resourcesFor('archive', 's3:AbortMultipartUpload')).toEqual([`<${outputsId}.Arn>/jobs/*`]);
    const [topicId] = onlyResourceOfType(template, 'AWS::SNS::Topic');
    expect(resourcesFor('notify', 'sns:Publish')).toEqual([`<${topicId}>`]);
    const secretIds = resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([id]) => `<${id}>`);
    for (const name of ['api', 'callback', 'validate', 'submit', 'poll-status'] as const) {
      expect(resourcesFor(name, 'secretsmanager:GetSecretValue')).toEqual(secretIds);
    }
  });
});

describe('state machine role', () => {
  it('may invoke exactly the workflow functions (not api or callback), log and trace', () => {
    const [, stateMachine] = onlyResourceOfType(template, 'AWS::StepFunctions::StateMachine');
    const roleId = (stateMachine.Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const roleStatementsOfMachine = roleStatements(template, roleId);
    const invoked = roleStatementsOfMachine
      .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'))
      .flatMap((s) => asArray(s.Resource).map(render));
    const functions = functionsByHandler(template);
    const workflowHandlers = HANDLERS.filter((name) => name !== 'api' && name !== 'callback');
    const expected = workflowHandlers.flatMap((name) => [`<${functions[name].logicalId}.Arn>`, `<${functions[name].logicalId}.Arn>:*`]);
    expect(invoked.sort()).toEqual(expected.sort());
    for (const action of actionsOf(roleStatementsOfMachine)) expect(action).toMatch(/^lambda:InvokeFunction$|^logs:|^xray:/);
  });
});
