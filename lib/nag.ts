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
import type { WebConsole } from './console.ts';
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

  if (stack.webConsole) acknowledgeConsoleFindings(stack, stack.webConsole);
}

/** The web console: its distribution, and CDK's BucketDeployment function that copies its files. */
function acknowledgeConsoleFindings(stack: KlingflowStack, webConsole: WebConsole): void {
  const { distribution, deploymentRole, bucket } = webConsole;
  acknowledge(
    distribution,
    'AwsSolutions-CFR1',
    'The console is a handful of static files with no data in them; who may use klingflow is decided by the JWT ' +
      'issuer at the API, not by where the reader is, so a country list would only lock out travelling operators.',
  );
  acknowledge(
    distribution,
    'AwsSolutions-CFR2',
    'The distribution serves only static files (GET/HEAD, cached); every request that does something goes to the ' +
      'HTTP API, which is throttled and authenticated by API Gateway. Attach a web ACL (webAclId) where policy asks for one.',
  );
  acknowledge(
    distribution,
    'AwsSolutions-CFR4',
    'No custom domain is configured, so viewers get the default *.cloudfront.net certificate, whose TLS policy ' +
      'CloudFront fixes (a minimum protocol can only be chosen with an ACM certificate for an own domain).',
  );

  // BucketDeployment: its function copies the built files from the CDK asset bucket into the site bucket and then
  // invalidates the distribution; the grants are CDK's own (read the asset, read/write the site bucket).
  const policy = defaultPolicyOf(deploymentRole);
  const copies =
    "CDK's BucketDeployment copies the console files from the CDK asset bucket into the site bucket (prune: deletes " +
    'what a deploy no longer has); ';
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Action::s3:GetBucket*]',
    `${copies}CDK grants read of the asset and site buckets as s3:GetBucket*.`,
  );
  acknowledge(policy, 'AwsSolutions-IAM5[Action::s3:GetObject*]', `${copies}CDK grants reading their objects as s3:GetObject*.`);
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Action::s3:List*]',
    `${copies}listing both buckets (s3:List*) is how it finds what to copy and prune.`,
  );
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Action::s3:Abort*]',
    `${copies}CDK's read-write grant on the site bucket includes s3:Abort* for its multipart copies.`,
  );
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
    `${copies}pruning deletes the site files a deploy no longer has (s3:DeleteObject*).`,
  );
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
    `${copies}the zipped files are CDK assets whose keys are content hashes, in the bootstrap asset bucket.`,
  );
  acknowledge(
    policy,
    `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/*]`,
    `${copies}the site bucket holds nothing but the console's files, so its objects are the whole of what it may write.`,
  );
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Resource::*]',
    'After copying, the function invalidates the distribution (cloudfront:CreateInvalidation, GetInvalidation): CDK ' +
      'grants these on "*", and they are the only actions on "*" in this role.',
  );
  const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!handler) throw new Error("nag: CDK's BucketDeployment function of the console was not found");
  acknowledge(
    handler,
    'AwsSolutions-L1',
    "The function is CDK's own BucketDeployment handler (Python, with the AWS CLI in a layer); its runtime is the " +
      'one aws-cdk-lib ships it with and moves with aws-cdk-lib upgrades. It runs only during deployments.',
  );
}
