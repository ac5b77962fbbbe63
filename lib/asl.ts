// Turns the synthesized template's state machine into plain, runnable ASL for the local stack, and tells which
// handler each Lambda in it runs. No aws-cdk-lib here: the local stack imports this next to a template.
//
// CloudFormation intrinsics in the definition are resolved for a fixed, fake environment (partition `aws`, region
// us-east-1, account 123456789012); a Lambda's `Fn::GetAtt [Fn, Arn]` becomes
// `arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>`. Anything else that cannot be resolved throws.
import { HANDLERS } from '../lambdas/workflow/contract.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';

/** The metadata key lib/functions.ts puts on every handler's AWS::Lambda::Function. */
export const HANDLER_METADATA_KEY = 'klingflow:handler';

export const LOCAL_ENVIRONMENT = {
  partition: 'aws',
  region: 'us-east-1',
  accountId: '123456789012',
  urlSuffix: 'amazonaws.com',
} as const;

/** The ARN a Lambda function (by logical id) gets in the extracted definition. */
export const localLambdaArn = (logicalId: string): string =>
  `arn:${LOCAL_ENVIRONMENT.partition}:lambda:${LOCAL_ENVIRONMENT.region}:${LOCAL_ENVIRONMENT.accountId}:function:${logicalId}`;

export interface ExtractedWorkflow {
  /** Logical id of the AWS::StepFunctions::StateMachine. */
  stateMachineLogicalId: string;
  /** The ASL definition, with every intrinsic resolved. */
  definition: Record<string, any>;
  /** Handler by Lambda ARN (as in the definition) and by bare logical id. */
  handlerByFunctionName: Record<string, HandlerName>;
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
}

export class WorkflowExtractionError extends Error {
  override readonly name = 'WorkflowExtractionError';
}

export function extractWorkflow(template: Record<string, any>): ExtractedWorkflow {
  const resources = (template?.Resources ?? {}) as Record<string, TemplateResource>;
  const stateMachines = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine');
  const [only] = stateMachines;
  if (stateMachines.length !== 1 || !only) {
    throw new WorkflowExtractionError(
      `Expected exactly one AWS::StepFunctions::StateMachine in the template, found ${stateMachines.length}`,
    );
  }
  const [stateMachineLogicalId, stateMachine] = only;
  const definition = readDefinition(stateMachineLogicalId, stateMachine, resources);

  const handlerByFunctionName: Record<string, HandlerName> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY] as unknown;
    if (handler === undefined) continue;
    if (!(HANDLERS as readonly unknown[]).includes(handler)) {
      throw new WorkflowExtractionError(
        `Function ${logicalId}: metadata ${HANDLER_METADATA_KEY}=${JSON.stringify(handler)} is not a handler name`,
      );
    }
    handlerByFunctionName[localLambdaArn(logicalId)] = handler as HandlerName;
    handlerByFunctionName[logicalId] = handler as HandlerName;
  }

  for (const { stateName, functionName } of lambdaTargets(definition)) {
    if (!handlerByFunctionName[functionName]) {
      throw new WorkflowExtractionError(
        `State ${stateName} invokes ${functionName}, which is not a function with ${HANDLER_METADATA_KEY} metadata`,
      );
    }
  }
  return { stateMachineLogicalId, definition, handlerByFunctionName };
}

/** Every Lambda a Task invokes: its `Resource` when that is a function ARN, else `Parameters.FunctionName`. */
export function lambdaTargets(definition: Record<string, any>): { stateName: string; functionName: string }[] {
  const targets: { stateName: string; functionName: string }[] = [];
  const visit = (states: Record<string, any> | undefined) => {
    for (const [stateName, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Task') {
        const resource = String(state.Resource);
        if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) targets.push({ stateName, functionName: resource });
        else if (/^arn:[^:]+:states:::lambda:invoke/.test(resource)) {
          const functionName = state.Parameters?.FunctionName;
          if (typeof functionName !== 'string') {
            throw new WorkflowExtractionError(`State ${stateName}: lambda:invoke without a literal Parameters.FunctionName`);
          }
          targets.push({ stateName, functionName });
        }
      }
      if (state.Type === 'Parallel') for (const branch of state.Branches ?? []) visit(branch.States);
      if (state.Type === 'Map') visit((state.ItemProcessor ?? state.Iterator)?.States);
    }
  };
  visit(definition.States);
  return targets;
}

function readDefinition(logicalId: string, stateMachine: TemplateResource, resources: Record<string, TemplateResource>) {
  const properties = stateMachine.Properties ?? {};
  if (properties.DefinitionSubstitutions !== undefined) {
    throw new WorkflowExtractionError(`State machine ${logicalId}: DefinitionSubstitutions are not supported`);
  }
  const resolver = new IntrinsicResolver(resources, `state machine ${logicalId}`);
  if (properties.DefinitionString !== undefined) {
    const text = resolver.resolveDefinitionString(properties.DefinitionString);
    try {
      return JSON.parse(text) as Record<string, any>;
    } catch (error) {
      throw new WorkflowExtractionError(`State machine ${logicalId}: the resolved DefinitionString is not JSON (${String(error)})`);
    }
  }
  if (properties.Definition !== undefined) return resolver.resolveValue(properties.Definition) as Record<string, any>;
  throw new WorkflowExtractionError(`State machine ${logicalId} has neither DefinitionString nor Definition`);
}

class IntrinsicResolver {
  constructor(
    private readonly resources: Record<string, TemplateResource>,
    private readonly where: string,
  ) {}

  /**
   * A DefinitionString is JSON text cut by intrinsics (`Fn::Join ['', [...]]`). The intrinsics sit inside JSON
   * string literals, so their values are spliced in JSON-escaped.
   */
  resolveDefinitionString(value: unknown): string {
    if (typeof value === 'string') return value;
    if (isIntrinsic(value, 'Fn::Join')) {
      const [separator, parts] = this.joinArgs(value['Fn::Join']);
      return parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(this.resolveString(part)).slice(1, -1))).join(separator);
    }
    throw this.fail(value, 'a DefinitionString must be a string or Fn::Join');
  }

  /** Resolves intrinsics anywhere in an object (for a `Definition` given as an object). */
  resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolveValue(item));
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return this.resolveString(value);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolveValue(item)]));
    }
    return value;
  }

  resolveString(value: unknown): string {
    if (typeof value === 'string') return value;
    if (isIntrinsic(value, 'Ref')) return this.resolveRef(value.Ref);
    if (isIntrinsic(value, 'Fn::GetAtt')) return this.resolveGetAtt(value['Fn::GetAtt']);
    if (isIntrinsic(value, 'Fn::Join')) {
      const [separator, parts] = this.joinArgs(value['Fn::Join']);
      return parts.map((part) => this.resolveString(part)).join(separator);
    }
    throw this.fail(value, 'unsupported intrinsic');
  }

  private resolveRef(name: unknown): string {
    switch (name) {
      case 'AWS::Partition':
        return LOCAL_ENVIRONMENT.partition;
      case 'AWS::Region':
        return LOCAL_ENVIRONMENT.region;
      case 'AWS::AccountId':
        return LOCAL_ENVIRONMENT.accountId;
      case 'AWS::URLSuffix':
        return LOCAL_ENVIRONMENT.urlSuffix;
    }
    const resource = typeof name === 'string' ? this.resources[name] : undefined;
    // Ref of a function is its name; the local environment names functions by logical id.
    if (resource?.Type === 'AWS::Lambda::Function') return name as string;
    throw this.fail({ Ref: name }, resource ? `Ref of a ${resource.Type} has no local value` : 'no such resource or pseudo parameter');
  }

  private resolveGetAtt(args: unknown): string {
    const [logicalId, attribute] = typeof args === 'string' ? args.split('.') : ((args ?? []) as unknown[]);
    const resource = typeof logicalId === 'string' ? this.resources[logicalId] : undefined;
    if (resource?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return localLambdaArn(logicalId as string);
    throw this.fail(
      { 'Fn::GetAtt': args },
      resource ? `GetAtt ${String(attribute)} of a ${resource.Type} has no local value` : 'no such resource',
    );
  }

  private joinArgs(args: unknown): [string, unknown[]] {
    if (!Array.isArray(args) || typeof args[0] !== 'string' || !Array.isArray(args[1])) {
      throw this.fail({ 'Fn::Join': args }, 'malformed Fn::Join');
    }
    return [args[0], args[1]];
  }

  private fail(value: unknown, why: string): WorkflowExtractionError {
    return new WorkflowExtractionError(`Cannot resolve ${JSON.stringify(value)} in ${this.where}: ${why}`);
  }
}

function isIntrinsic<K extends string>(value: unknown, key: K): value is Record<K, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && key in value;
}
