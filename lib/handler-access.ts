// What each handler may know (environment) and do (IAM): the contract between the stack and lambdas/handlers/.
// Every statement is written out (no `grant*` helpers: TableV2's adds `index/*`, others add more actions than a
// handler uses). Statements that name the state machine go into a separate policy per function: the state
// machine names the workflow functions, and a function waits for its role's default policy, so keeping them in
// the default policy would make await-result's role and the state machine depend on each other.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { UPLOAD_PREFIX } from '../lambdas/domain/uploads.ts';
import { HANDLERS } from '../lambdas/workflow/contract.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';
import type { KlingflowHttpApi } from './api.ts';
import { deploymentSecretEnv, ENV, PROVIDER_ENV_NAMES, providerEnv as providerEnvName } from '../lambdas/aws/env.ts';
import type { KlingflowConfig } from './config.ts';
import type { HandlerFunctions } from './functions.ts';
import type { Notifications } from './notifications.ts';
import type { Operations } from './operations.ts';
import type { DeploymentSecrets, ProviderSecrets } from './secrets.ts';
import type { SpendSettings } from './spend.ts';
import type { Storage } from './storage.ts';
import type { Workflow } from './workflow.ts';

// The variable names come from the handlers' environment contract (lambdas/aws/env.ts): one place for both sides.
const CALLBACK_SECRET_ARN = deploymentSecretEnv('CALLBACK_SECRET').arn;
const WEBHOOK_SECRET_ARN = deploymentSecretEnv('WEBHOOK_SECRET').arn;
const SHARE_SECRET_ARN = deploymentSecretEnv('SHARE_SECRET').arn;
const providerBaseUrlEnv = (providerId: string): string => providerEnvName(providerId, PROVIDER_ENV_NAMES.baseUrl);
const providerSecretArnEnv = (providerId: string): string => providerEnvName(providerId, PROVIDER_ENV_NAMES.secretArn);

/** Handlers that talk to providers: they get every enabled provider's base URL, secret and settings. */
export const PROVIDER_CLIENTS: readonly HandlerName[] = [
  'api',
  'callback',
  'validate',
  'submit',
  'await-result',
  'poll-status',
  'reconcile',
];

export interface HandlerAccessProps {
  config: KlingflowConfig;
  functions: HandlerFunctions;
  storage: Storage;
  spend: SpendSettings;
  notifications: Notifications;
  secrets: ProviderSecrets;
  deploymentSecrets: DeploymentSecrets;
  workflow: Workflow;
  api: KlingflowHttpApi;
  operations: Operations;
}

interface Access {
  env: Record<string, string>;
  statements: iam.PolicyStatement[];
  /** Statements naming the state machine (kept in their own policy, see above). */
  stateMachineStatements?: iam.PolicyStatement[];
}

export class HandlerAccess extends Construct {
  constructor(scope: Construct, id: string, props: HandlerAccessProps) {
    super(scope, id);
    const { config, storage, spend, notifications, secrets, deploymentSecrets, workflow, api, operations } = props;
    const stateMachine = workflow.stateMachine;

    const allow = (sid: string, actions: string[], resources: string[]) =>
      new iam.PolicyStatement({ sid, effect: iam.Effect.ALLOW, actions, resources });

    const tableArn = storage.jobsTable.tableArn;
    const readAndUpdateJob = allow('ReadAndUpdateJob', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [tableArn]);
    const readProviderSecrets = allow('ReadProviderSecrets', ['secretsmanager:GetSecretValue'], secrets.secretArns);
    // Share links: notify and webhook sign them, api checks them.
    const readShareSecret = allow('ReadShareSecret', ['secretsmanager:GetSecretValue'], [deploymentSecrets.shareSecret.secretArn]);
    const shareEnv = { [SHARE_SECRET_ARN]: deploymentSecrets.shareSecret.secretArn };
    const readCallbackSecret = allow('ReadCallbackSecret', ['secretsmanager:GetSecretValue'], [deploymentSecrets.callbackSecret.secretArn]);
    // Uploaded images (and their manifests), read by the exact version an upload job names.
    const readUploads = allow('ReadUploads', ['s3:GetObject', 's3:GetObjectVersion'], [storage.uploadsObjectsArn]);
    // Without ListBucket, S3 answers a missing key with 403 instead of 404: an upload without a manifest, or an
    // {s3Key} naming nothing, would fail as "access denied". Listing is limited to the uploads/ prefix.
    const listUploads = new iam.PolicyStatement({
      sid: 'ListUploads',
      effect: iam.Effect.ALLOW,
      actions: ['s3:ListBucket'],
      resources: [storage.inputsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${UPLOAD_PREFIX}*`] } },
    });
    const startExecutions = allow('StartJobExecutions', ['states:StartExecution'], [stateMachine.stateMachineArn]);
    // Admission control: slots and queue entries, read with consistent queries and written conditionally.
    const useSlots = allow(
      'UseProviderSlots',
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [storage.admissionTable.tableArn],
    );
    // The executions of the job state machine (any name: `<jobId>`, `<jobId>-r<n>`, `<jobId>-n<n>`).
    const executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const deadLetters = (name: 's3-upload' | 'reconcile') =>
      allow('SendToOwnDeadLetterQueue', ['sqs:SendMessage'], [operations.deadLetterQueues[name].queueArn]);
    // The job that frees a slot wakes the wait (AwaitSlot) of the job it hands it to.
    const wakeWaitingJobs = allow('WakeWaitingJobs', ['states:SendTaskSuccess'], [stateMachine.stateMachineArn]);

    // The spend guard: api reads the counters (the check at create), submit adds to them (conditionally), complete
    // corrects them; api and submit read the caps parameter.
    const spendEnv = { [ENV.spendTable]: storage.spendTable.tableName, [ENV.spendCapsParameter]: spend.capsParameter.parameterName };
    const readSpendCaps = allow('ReadSpendCaps', ['ssm:GetParameter'], [spend.capsParameter.parameterArn]);
    const readSpend = allow('ReadSpend', ['dynamodb:GetItem'], [storage.spendTable.tableArn]);
    const countSpend = allow('CountSpend', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [storage.spendTable.tableArn]);

    const providerBaseUrls: Record<string, string> = {};
    const providerEnv: Record<string, string> = {
      [ENV.enabledProviders]: config.enabledProviders.join(','),
      [ENV.defaultProvider]: config.defaultProvider,
    };
    for (const providerId of config.enabledProviders) {
      // readKlingflowConfig gives every enabled provider a base URL, and ProviderSecrets a secret.
      const baseUrl = config.providerBaseUrls[providerId];
      const secret = secrets.byProvider.get(providerId);
      if (!baseUrl || !secret) throw new Error(`HandlerAccess: provider ${providerId} has no base URL or no secret`);
      providerBaseUrls[providerBaseUrlEnv(providerId)] = baseUrl;
      providerEnv[providerBaseUrlEnv(providerId)] = baseUrl;
      providerEnv[providerSecretArnEnv(providerId)] = secret.secretArn;
      for (const [name, value] of Object.entries(config.providerSettings[providerId] ?? {})) {
        providerEnv[providerEnvName(providerId, name)] = value;
      }
    }
    // What creating a job needs to know (api and s3-upload): the providers to choose from and the workflow's budget.
    const jobCreationEnv: Record<string, string> = {
      [ENV.enabledProviders]: config.enabledProviders.join(','),
      [ENV.defaultProvider]: config.defaultProvider,
      [ENV.stateMachineArn]: stateMachine.stateMachineArn,
      [ENV.maxPolls]: String(config.maxPolls),
      [ENV.slotWaitSeconds]: String(config.slotWaitSeconds),
    };
    const inputsEnv = { [ENV.inputsBucket]: storage.inputsBucket.bucketName };
    // What admission control reads: the table, the queue's timings and each limited provider's setting.
    const admissionEnv: Record<string, string> = {
      [ENV.admissionTable]: storage.admissionTable.tableName,
      [ENV.slotWaitSeconds]: String(config.slotWaitSeconds),
      [ENV.slotLeaseSeconds]: String(config.slotLeaseSeconds),
      [ENV.maxQueueSeconds]: String(config.maxQueueSeconds),
    };
    // What planning a job's next check reads (submit and poll-status): the deadlines and the lease a wait must not outlast.
    const waitPlanEnv: Record<string, string> = {
      [ENV.deadlineSeconds]: config.deadlineSeconds,
      [ENV.slotLeaseSeconds]: String(config.slotLeaseSeconds),
    };
    for (const [providerId, setting] of Object.entries(config.maxConcurrency)) {
      admissionEnv[providerEnvName(providerId, PROVIDER_ENV_NAMES.maxConcurrency)] = setting;
    }

    const access: Record<HandlerName, Access> = {
      api: {
        env: {
          ...providerEnv,
          ...jobCreationEnv,
          [ENV.outputsBucket]: storage.outputsBucket.bucketName,
          [ENV.publicUrl]: api.url,
          ...shareEnv,
          ...inputsEnv,
          ...(config.adminPrincipals.length ? { [ENV.adminPrincipals]: config.adminPrincipals.join(',') } : {}),
          ...spendEnv,
        },
        statements: [
          readShareSecret,
          // POST /v1/uploads writes the ticket's manifest and signs the PUT of its image with this role.
          allow('WriteUploadTickets', ['s3:PutObject'], [storage.uploadsObjectsArn]),
          readSpendCaps,
          readSpend,
          allow('CreateReadListJobs', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], [tableArn]),
          allow(
            'QueryJobIndexes',
            ['dynamodb:Query'],
            [storage.jobsIndexArn('byStatus'), storage.jobsIndexArn('byCreatedAt'), storage.jobsIndexArn('byOwner')],
          ),
          // Presigned download URLs are signed with this role's credentials.
          allow('PresignVideoDownloads', ['s3:GetObject'], [storage.outputsObjectsArn]),
          // Cancelling a job cancels the provider task where the provider allows it.
          readProviderSecrets,
        ],
        // SendTaskFailure: cancelling a job wakes the wait its workflow is in, which then ends through the
        // failure path (notice and webhook included).
        stateMachineStatements: [startExecutions, allow('WakeCancelledJobs', ['states:SendTaskFailure'], [stateMachine.stateMachineArn])],
      },
      callback: {
        // The callback secret checks the per-job token in callback URLs of providers that do not sign.
        env: { ...providerEnv, [CALLBACK_SECRET_ARN]: deploymentSecrets.callbackSecret.secretArn },
        statements: [readAndUpdateJob, readProviderSecrets, readCallbackSecret],
        stateMachineStatements: [
          allow('ResumeWorkflow', ['states:SendTaskSuccess', 'states:SendTaskFailure'], [stateMachine.stateMachineArn]),
        ],
      },
      // validate checks uploaded input images against the provider's image policy.
      validate: { env: { ...providerEnv, ...inputsEnv }, statements: [readAndUpdateJob, readProviderSecrets, readUploads, listUploads] },
      submit: {
        // Sends uploaded images (inline or as GET URLs presigned with this role) and makes callback URLs with their token.
        // Takes a slot of the provider's pool first (admission control), handing free slots to older waiters.
        env: {
          ...providerEnv,
          ...inputsEnv,
          ...waitPlanEnv,
          ...admissionEnv,
          [ENV.publicUrl]: api.url,
          [CALLBACK_SECRET_ARN]: deploymentSecrets.callbackSecret.secretArn,
          ...spendEnv,
        },
        statements: [readAndUpdateJob, readProviderSecrets, readUploads, readCallbackSecret, readSpendCaps, countSpend, useSlots],
        stateMachineStatements: [wakeWaitingJobs],
      },
      // SendTaskFailure: a job that ended (cancelled) while it was about to wait has its own wait failed.
      'await-slot': {
        env: admissionEnv,
        statements: [readAndUpdateJob, useSlots],
        stateMachineStatements: [
          allow('ResumeWaits', ['states:SendTaskSuccess', 'states:SendTaskFailure'], [stateMachine.stateMachineArn]),
        ],
      },
      'release-slot': { env: admissionEnv, statements: [readAndUpdateJob, useSlots], stateMachineStatements: [wakeWaitingJobs] },
      'await-result': {
        // Renews the lease of the job's slot for each wait for a callback; the wait after the safety check first polls
        // the provider (a lost callback).
        env: { ...providerEnv, ...admissionEnv },
        statements: [readAndUpdateJob, useSlots, readProviderSecrets],
        // SendTaskFailure: the job ended (e.g. cancelled) while the workflow was about to wait (jobs/task-token.ts failWait).
        stateMachineStatements: [
          allow('ResumeWorkflow', ['states:SendTaskSuccess', 'states:SendTaskFailure'], [stateMachine.stateMachineArn]),
        ],
      },
      // Renews the lease of the job's slot at every poll of a running task (a polled job never enters AwaitResult).
      'poll-status': {
        env: { ...providerEnv, ...admissionEnv, ...waitPlanEnv },
        statements: [readAndUpdateJob, readProviderSecrets, useSlots],
      },
      // Releases the job's slot first (admission control: the next waiting job is woken), archives the outputs, then
      // completes the job: the provider's reported charge replaces the estimate in the spend counters.
      archive: {
        // Provider base URLs: downloads from the provider's own host are trusted (handlers/archive.ts).
        env: {
          [ENV.outputsBucket]: storage.outputsBucket.bucketName,
          ...providerBaseUrls,
          ...admissionEnv,
          [ENV.spendTable]: storage.spendTable.tableName,
        },
        statements: [
          readAndUpdateJob,
          useSlots,
          allow('WriteArchivedVideos', ['s3:PutObject', 's3:AbortMultipartUpload'], [storage.outputsObjectsArn]),
          allow('CorrectSpend', ['dynamodb:UpdateItem'], [storage.spendTable.tableArn]),
        ],
        stateMachineStatements: [wakeWaitingJobs],
      },
      'mark-failed': { env: {}, statements: [readAndUpdateJob] },
      notify: {
        env: {
          [ENV.outputsBucket]: storage.outputsBucket.bucketName,
          [ENV.noticesTopicArn]: notifications.noticesTopic.topicArn,
          [ENV.publicUrl]: api.url,
          [ENV.shareLinkSeconds]: String(config.shareLinkSeconds),
          ...shareEnv,
        },
        statements: [
          // UpdateItem: the notice is claimed on the job before publishing, so a retry never sends it twice.
          readAndUpdateJob,
          readShareSecret,
          allow('PublishNotices', ['sns:Publish'], [notifications.noticesTopic.topicArn]),
        ],
      },
      webhook: {
        env: {
          [WEBHOOK_SECRET_ARN]: deploymentSecrets.webhookSecret.secretArn,
          // The webhook carries share links of the outputs.
          [ENV.publicUrl]: api.url,
          [ENV.shareLinkSeconds]: String(config.shareLinkSeconds),
          ...shareEnv,
        },
        statements: [
          // UpdateItem: the delivery (or giving up) is recorded on the job.
          readAndUpdateJob,
          readShareSecret,
          allow('ReadWebhookSecret', ['secretsmanager:GetSecretValue'], [deploymentSecrets.webhookSecret.secretArn]),
        ],
      },
      // Creates a job per uploaded image, as POST /v1/jobs does, and starts its execution. No provider secrets:
      // it only checks the request against the providers' capabilities.
      's3-upload': {
        env: { ...jobCreationEnv, ...inputsEnv },
        statements: [
          // GetItem: a repeated S3 event finds the job of that object version; PutItem creates it (conditionally).
          allow('CreateUploadJobs', ['dynamodb:GetItem', 'dynamodb:PutItem'], [tableArn]),
          readUploads,
          listUploads,
          // Events that failed every attempt land in its dead-letter queue (lib/operations.ts), which raises an alarm.
          deadLetters('s3-upload'),
        ],
        stateMachineStatements: [startExecutions],
      },
      // Scans the base table, re-drives and ends jobs (conditional writes), sends missing notices through executions,
      // frees leaked slots and wakes the jobs they go to.
      // The deadlines: a job older than its queue wait, the longest deadline and an hour is counted past its deadline.
      // Polls the provider of a callback job whose callback is overdue (its secret) and wakes the job's wait with the
      // result (SendTaskSuccess, as for the slots' waiters).
      reconcile: {
        env: { ...providerEnv, ...admissionEnv, ...jobCreationEnv, [ENV.deadlineSeconds]: config.deadlineSeconds },
        statements: [
          allow('ReconcileJobs', ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], [tableArn]),
          useSlots,
          readProviderSecrets,
          deadLetters('reconcile'),
        ],
        stateMachineStatements: [
          startExecutions,
          wakeWaitingJobs,
          allow('SeeJobExecutions', ['states:DescribeExecution'], [executionsArn]),
        ],
      },
    };

    for (const name of HANDLERS) {
      const fn = props.functions.byName[name];
      const role = props.functions.roles[name];
      const { env, statements, stateMachineStatements } = access[name];
      fn.addEnvironment(ENV.jobsTable, storage.jobsTable.tableName);
      for (const [key, value] of Object.entries(env)) fn.addEnvironment(key, value);
      for (const statement of statements) role.addToPolicy(statement);
      if (stateMachineStatements) {
        new iam.Policy(this, `${fn.node.id}StateMachineAccess`, { roles: [role], statements: stateMachineStatements });
      }
    }
  }
}
