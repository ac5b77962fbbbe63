// The klingflow stack: storage, provider and deployment secrets, notices, the handler functions, the workflow,
// the HTTP API and the uploads trigger, wired together by lib/handler-access.ts.
import { CfnOutput, Lazy, Stack } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { UPLOAD_CORS } from '../lambdas/http/cors.ts';
import { KlingflowHttpApi } from './api.ts';
import type { KlingflowConfig } from './config.ts';
import { WebConsole } from './console.ts';
import { HandlerFunctions } from './functions.ts';
import { HandlerAccess } from './handler-access.ts';
import { acknowledgeNagFindings } from './nag.ts';
import { OperationsDashboard } from './dashboard.ts';
import { Monitoring } from './monitoring.ts';
import { Notifications } from './notifications.ts';
import { Operations } from './operations.ts';
import { DeploymentSecrets, ProviderSecrets } from './secrets.ts';
import { SpendSettings } from './spend.ts';
import { Storage } from './storage.ts';
import { Workflow } from './workflow.ts';

export interface KlingflowStackProps extends StackProps {
  config: KlingflowConfig;
}

export class KlingflowStack extends Stack {
  readonly config: KlingflowConfig;
  readonly storage: Storage;
  readonly secrets: ProviderSecrets;
  readonly deploymentSecrets: DeploymentSecrets;
  readonly notifications: Notifications;
  readonly functions: HandlerFunctions;
  readonly workflow: Workflow;
  readonly api: KlingflowHttpApi;
  readonly operations: Operations;
  readonly monitoring: Monitoring;
  readonly dashboard: OperationsDashboard;
  /** The web console, where deployed (`console` context; JWT auth only). */
  readonly webConsole?: WebConsole;
  readonly spend: SpendSettings;

  constructor(scope: Construct, id: string, props: KlingflowStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;

    this.storage = new Storage(this, 'Storage');
    this.spend = new SpendSettings(this, 'Spend', { caps: config.spendCaps });
    this.secrets = new ProviderSecrets(this, 'ProviderSecrets', { providerIds: config.enabledProviders });
    this.deploymentSecrets = new DeploymentSecrets(this, 'DeploymentSecrets');
    this.notifications = new Notifications(this, 'Notifications', { emails: config.notificationEmails });
    this.functions = new HandlerFunctions(this, 'Functions', { enabledProviders: config.enabledProviders });
    this.storage.startJobsOnUploads(this.functions.byName['s3-upload']);
    this.workflow = new Workflow(this, 'Workflow', { functions: this.functions.byName });
    this.api = new KlingflowHttpApi(this, 'Api', {
      handlers: { api: this.functions.byName.api, callback: this.functions.byName.callback },
      auth: config.auth,
      corsOrigins: config.corsOrigins,
    });
    // A browser (the console) PUTs upload tickets' images straight to the inputs bucket: the same origins as the API.
    (this.storage.inputsBucket.node.defaultChild as s3.CfnBucket).corsConfiguration = Lazy.any({
      produce: (): s3.CfnBucket.CorsConfigurationProperty | undefined =>
        this.api.allowedOrigins.length
          ? {
              corsRules: [
                {
                  allowedMethods: [...UPLOAD_CORS.allowedMethods],
                  allowedOrigins: [...this.api.allowedOrigins],
                  allowedHeaders: [...UPLOAD_CORS.allowedHeaders],
                  maxAge: UPLOAD_CORS.maxAgeSeconds,
                },
              ],
            }
          : undefined,
    });
    this.operations = new Operations(this, 'Operations', {
      functions: { 's3-upload': this.functions.byName['s3-upload'], reconcile: this.functions.byName.reconcile },
      reconcileMinutes: config.reconcileMinutes,
      emails: config.alarmEmails,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      topic: this.operations.alarmsTopic,
      providers: config.enabledProviders,
      thresholds: config.alarms,
      functions: this.functions.byName,
      stateMachine: this.workflow.stateMachine,
      reconcileMinutes: config.reconcileMinutes,
      deadLetterAlarms: this.operations.alarms,
    });
    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      providers: config.enabledProviders,
      alarms: [...this.monitoring.alarms.values()],
      functions: this.functions.byName,
      stateMachine: this.workflow.stateMachine,
      deadLetterQueues: this.operations.deadLetterQueues,
    });
    new HandlerAccess(this, 'HandlerAccess', {
      config,
      functions: this.functions,
      storage: this.storage,
      spend: this.spend,
      notifications: this.notifications,
      secrets: this.secrets,
      deploymentSecrets: this.deploymentSecrets,
      workflow: this.workflow,
      api: this.api,
      operations: this.operations,
    });

    if (config.console) {
      this.webConsole = new WebConsole(this, 'Console', { apiUrl: this.api.url, accessLogsBucket: this.storage.accessLogsBucket });
      this.webConsole.allowUploadsTo(this.storage.inputsBucket);
      this.api.allowOrigin(this.webConsole.origin);
      new CfnOutput(this, 'ConsoleUrl', {
        value: this.webConsole.url,
        description: "The web console; paste a JWT of the API's issuer into its token field",
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the klingflow HTTP API' });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'JobsTableName', { value: this.storage.jobsTable.tableName });
    new CfnOutput(this, 'OutputsBucketName', { value: this.storage.outputsBucket.bucketName });
    new CfnOutput(this, 'InputsBucketName', {
      value: this.storage.inputsBucket.bucketName,
      description: 'Images put under uploads/ in this bucket start image-to-video jobs',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: this.deploymentSecrets.webhookSecret.secretArn,
      description: 'Job webhooks are signed with this secret (Standard Webhooks); receivers verify with whsec_<its value>',
    });
    new CfnOutput(this, 'SpendCapsParameterName', {
      value: this.spend.capsParameter.parameterName,
      description: 'The spend caps (JSON); change them with aws ssm put-parameter --overwrite, no redeploy',
    });
    new CfnOutput(this, 'NoticesTopicArn', { value: this.notifications.noticesTopic.topicArn });
    new CfnOutput(this, 'AlarmsTopicArn', {
      value: this.operations.alarmsTopic.topicArn,
      description: "The operators' topic: every alarm publishes here; alarmEmails are subscribed",
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.dashboard.dashboard.dashboardName,
      description: 'The CloudWatch dashboard: jobs, step times, provider errors, spend, functions, executions, per provider',
    });
    for (const [providerId, secret] of this.secrets.byProvider) {
      new CfnOutput(this, `ProviderSecretArn-${providerId}`, {
        value: secret.secretArn,
        description: `Put the credentials of provider "${providerId}" into this secret`,
      });
    }

    acknowledgeNagFindings(this);
  }
}
