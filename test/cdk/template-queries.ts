// Small readers over a synthesized CloudFormation template, shared by the test/cdk files.
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import type { HandlerName } from '../../lambdas/workflow/contract.ts';
import { HANDLER_METADATA_KEY } from '../../lib/asl.ts';

export type CfnTemplate = Record<string, any>;
export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string | string[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, any>;
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources as Record<string, CfnResource>).filter(([, resource]) => resource.Type === type);
}

export function onlyResourceOfType(template: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The DynamoDB table lib/storage.ts marks with `role` (metadata `klingflow:table`): `jobs` or `admission`. */
export function tableOf(template: CfnTemplate, role: 'jobs' | 'admission' | 'spend'): [string, CfnResource] {
  const found = resourcesOfType(template, 'AWS::DynamoDB::GlobalTable').filter(
    ([, table]) => (table as { Metadata?: Record<string, unknown> }).Metadata?.['klingflow:table'] === role,
  );
  if (found.length !== 1) throw new Error(`expected one ${role} table, found ${found.length}`);
  return found[0]!;
}

/**
 * Renders an intrinsic-laden value the way cdk-nag does: `{Ref: X}` → `<X>`, `{Fn::GetAtt: [X, A]}` → `<X.A>`,
 * `Fn::Join` joined. Keeps the logical ids readable in assertions.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, any>;
    if ('Ref' in object) return `<${object.Ref}>`;
    if ('Fn::GetAtt' in object) return `<${asArray(object['Fn::GetAtt']).join('.')}>`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

export interface HandlerFunction {
  logicalId: string;
  resource: CfnResource;
  roleLogicalId: string;
}

/** Every handler's Lambda function, found by its `klingflow:handler` metadata. */
export function functionsByHandler(template: CfnTemplate): Record<HandlerName, HandlerFunction> {
  const byHandler = {} as Record<HandlerName, HandlerFunction>;
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY] as HandlerName | undefined;
    if (!handler) continue;
    if (byHandler[handler]) throw new Error(`two functions run ${handler}`);
    const role = resource.Properties?.Role as { 'Fn::GetAtt': [string, string] };
    byHandler[handler] = { logicalId, resource, roleLogicalId: role['Fn::GetAtt'][0] };
  }
  for (const name of HANDLERS) if (!byHandler[name]) throw new Error(`no function runs ${name}`);
  return byHandler;
}

/** Every statement that applies to a role: attached AWS::IAM::Policy resources and inline policies. */
export function roleStatements(template: CfnTemplate, roleLogicalId: string): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = asArray(policy.Properties?.Roles as unknown[]).map(render);
    if (roles.includes(`<${roleLogicalId}>`)) statements.push(...asArray(policy.Properties!.PolicyDocument.Statement as PolicyStatement[]));
  }
  const role = template.Resources[roleLogicalId] as CfnResource;
  for (const inline of asArray(role.Properties?.Policies as { PolicyDocument: { Statement: PolicyStatement[] } }[])) {
    statements.push(...asArray(inline.PolicyDocument.Statement));
  }
  return statements;
}

/** All statements of all identity policies in the template (roles' attached and inline policies). */
export function allIdentityStatements(template: CfnTemplate): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    statements.push(...asArray(policy.Properties!.PolicyDocument.Statement as PolicyStatement[]));
  }
  for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const inline of asArray(role.Properties?.Policies as { PolicyDocument: { Statement: PolicyStatement[] } }[])) {
      statements.push(...asArray(inline.PolicyDocument.Statement));
    }
  }
  return statements;
}

export const actionsOf = (statements: PolicyStatement[]): string[] =>
  [...new Set(statements.flatMap((statement) => asArray(statement.Action)))].sort();

/**
 * The three buckets, told apart by their server access logging: outputs log under `outputs/`, inputs under
 * `inputs/`, and the access-logs bucket logs nowhere.
 */
export function bucketsOf(template: CfnTemplate): Record<'outputs' | 'inputs' | 'accessLogs', [string, CfnResource]> {
  const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
  const byLogPrefix = (prefix: string | undefined) => {
    const found = buckets.filter(([, b]) => b.Properties?.LoggingConfiguration?.LogFilePrefix === prefix);
    if (found.length !== 1) throw new Error(`expected one bucket logging under ${prefix}, found ${found.length}`);
    return found[0]!;
  };
  return { outputs: byLogPrefix('outputs/'), inputs: byLogPrefix('inputs/'), accessLogs: byLogPrefix(undefined) };
}
