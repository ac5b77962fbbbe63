// cdk-nag (AwsSolutions pack; v3 is a policy-validation plugin, not an Aspect) and every finding klingflow
// acknowledges. Each acknowledgment names the exact finding id on the construct that raises it, with the reason
// it is acceptable; nothing is acknowledged stack-wide or by bare rule id where a finding id exists.
import { Stack, Validations } from 'aws-cdk-lib';
import type { App, CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { UPLOAD_PREFIX } from '../lambdas/domain/uploads.ts';
import { routeKey } from '../lambdas/http/routes.ts';
import { HANDLERS } from '../lambdas/workflow/contract.ts';
import type { KlingflowStack } from './klingflow-stack.ts';
import { OUTPUTS_KEY_PREFIX } from './storage.ts';

/** Registers the AwsSolutions checks on the app: synthesis fails while a finding is open. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

const acknowledge = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

const logicalIdOf = (construct: IConstruct): string => {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
};

/** A role's `DefaultPolicy` child (created by `addToPolicy`). */
const defaultPolicyOf = (role: IConstruct): IConstruct => role.node.findChild('DefaultPolicy');

export function acknowledgeNagFindings(stack: KlingflowStack): void {
  const { functions, workflow, storage, secrets, deploymentSecrets, api } = stack;

  for (const secret of secrets.byProvider.values()) {
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      'Provider API keys are issued and rotated at the provider (its console issues the new key); a rotation ' +
        'Lambda cannot mint provider credentials, so rotation is an operator step that updates this secret.',
    );
  }

  acknowledge(
    deploymentSecrets.callbackSecret,
    'AwsSolutions-SMG4',
    'The callback secret keys the HMAC tokens already handed to providers in the callback URLs of running jobs ' +
      '(up to 26 h); automatic rotation would make those callbacks fail verification. Rotate it manually between ' +
      'batches of jobs (a job whose callback fails still finishes by polling).',
  );
  acknowledge(
    deploymentSecrets.shareSecret,
    'AwsSolutions-SMG4',
    'The share secret signs the links already sent in notices and webhooks (valid for days); rotating it revokes ' +
      'every link sent. Rotation is an operator decision (for example after a leak), not a schedule.',
  );
  acknowledge(
    deploymentSecrets.webhookSecret,
    'AwsSolutions-SMG4',
    'Every webhook receiver holds this secret (whsec_<value>) to verify signatures; a rotation Lambda cannot ' +
      'update the receivers, so rotation is an operator step coordinated with them (new value, then receivers).',
  );

  // Tracing: Lambda adds xray:PutTraceSegments/PutTelemetryRecords on "*" to each function role.
  for (const name of HANDLERS) {
    acknowledge(
      defaultPolicyOf(functions.roles[name]),
      'AwsSolutions-IAM5[Resource::*]',
      'Only the X-Ray write actions (xray:PutTraceSegments, xray:PutTelemetryRecords) use Resource "*": X-Ray has ' +
        'no resource-level permissions. Every other statement names its table, bucket prefix, topic or secret.',
    );
  }

  // The api handler presigns downloads of, and the archive handler writes, objects under jobs/<jobId>/.
  const outputsObjects = `AwsSolutions-IAM5[Resource::<${logicalIdOf(storage.outputsBucket)}.Arn>/${OUTPUTS_KEY_PREFIX}*]`;
  acknowledge(
    defaultPolicyOf(functions.roles.api),
    outputsObjects,
    'Archived videos live at jobs/<jobId>/...; job ids are created at run time, so downloads are presigned for ' +
      'objects under the jobs/ prefix only (s3:GetObject), not for the whole bucket.',
  );
  acknowledge(
    defaultPolicyOf(functions.roles.archive),
    outputsObjects,
    'The archive handler writes jobs/<jobId>/... for job ids created at run time; the wildcard is limited to the ' +
      'jobs/ prefix and to s3:PutObject and s3:AbortMultipartUpload.',
  );

  // validate and submit read, and s3-upload reads the metadata and manifest of, uploaded images under uploads/.
  const uploadsObjects = `AwsSolutions-IAM5[Resource::<${logicalIdOf(storage.inputsBucket)}.Arn>/${UPLOAD_PREFIX}*]`;
  const uploadReaders = {
    validate: "checks the uploaded input images of a job against the provider's image policy",
    submit: 'sends uploaded input images to the provider, inline or as GET URLs presigned with its role',
    's3-upload': 'reads the metadata and manifest of each image uploaded under uploads/ to create its job',
  } as const;
  for (const [name, what] of Object.entries(uploadReaders)) {
    acknowledge(
      defaultPolicyOf(functions.roles[name as keyof typeof uploadReaders]),
      uploadsObjects,
      `The ${name} handler ${what}; object keys are chosen by uploaders at run time, so the wildcard is limited ` +
        'to the uploads/ prefix of the inputs bucket and to s3:GetObject and s3:GetObjectVersion.',
    );
  }

  acknowledge(
    defaultPolicyOf(functions.roles.api),
    uploadsObjects,
    'POST /v1/uploads writes a manifest under uploads/<uploadId>/ and presigns the PUT of its image with the api ' +
      'role; upload ids are made at run time, so the wildcard is limited to the uploads/ prefix and to s3:PutObject.',
  );

  // The state machine role: LambdaInvoke grants each function's ARN and its versions/aliases (`<arn>:*`);
  // log delivery and X-Ray actions do not support resource-level permissions.
  const stateMachinePolicy = defaultPolicyOf(workflow.stateMachine.role);
  acknowledge(
    stateMachinePolicy,
    'AwsSolutions-IAM5[Resource::*]',
    'Step Functions logging to CloudWatch Logs (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray ' +
      'tracing require Resource "*"; these actions support no resource-level permissions.',
  );
  // The reconciler looks up the executions of jobs it may re-drive; their names are job ids, made at run time.
  const reconcilerStateMachineAccess = stack.node.findChild('HandlerAccess').node.findChild('ReconcileStateMachineAccess');
  acknowledge(
    reconcilerStateMachineAccess,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalIdOf(workflow.stateMachine)}.Name>:*]`,
    'The reconciler describes the executions of the klingflow state machine only (states:DescribeExecution): they are ' +
      'named after job ids created at run time (<jobId>, <jobId>-r<n>, <jobId>-n<n>), so the execution name is a wildcard.',
  );

  for (const name of HANDLERS) {
    // not invoked by the workflow
    if (name === 'api' || name === 'callback' || name === 's3-upload' || name === 'reconcile') continue;
    acknowledge(
      stateMachinePolicy,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(functions.byName[name])}.Arn>:*]`,
      `The workflow may invoke the ${name} function only; "<arn>:*" is the same function's versions and aliases, ` +
        'which the LambdaInvoke task grants together with the unqualified ARN.',
    );
  }

  // Why each public route needs no authorizer, by route key; a public route without a reason fails the synth.
  const publicBecause: Record<string, string> = {
    'POST /v1/callbacks/{provider}/{jobId}':
      'Provider callbacks cannot sign AWS requests or obtain our JWTs. The callback handler authenticates each ' +
      "request itself (the provider's webhook signature, or the per-job secret in the callback URL) and rejects " +
      'anything else before reading the body into the workflow.',
    'GET /v1/share/{jobId}/{object}':
      'Share links are opened by people reading a notice, in a browser, with no AWS credentials or JWT. Each link ' +
      'carries its own HMAC-SHA256 signature (deployment share secret) over job, object and expiry; the handler ' +
      'checks it in constant time before reading anything and answers only a redirect to a short-lived presigned URL.',
    'GET /v1/openapi.json':
      'The OpenAPI document is the published contract (the same as docs/api.md in the repository): it is generated ' +
      'from code, holds no job, provider setting or credential, and lets tools and the console read the API before ' +
      'they hold credentials. The stage throttle applies.',
  };
  for (const { route, made } of api.unauthenticatedRoutes) {
    const reason = publicBecause[routeKey(route)];
    if (!reason) throw new Error(`nag: public route ${routeKey(route)} has no reason to be public`);
    acknowledge(made, 'AwsSolutions-APIG4', reason);
  }
}
