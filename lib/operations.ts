// What keeps klingflow from failing silently: the scheduled reconciler (lambdas/handlers/reconcile.ts), a dead-letter
// queue for every function invoked asynchronously (the S3 upload trigger, the reconciler), and an alarm on each queue
// that tells the Alarms topic (and its e-mail subscribers) as soon as an event landed there.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HandlerName } from '../lambdas/workflow/contract.ts';

/** The handlers invoked asynchronously (by S3 and by the schedule): each gets a dead-letter queue and an alarm on it. */
export const ASYNC_HANDLERS = ['s3-upload', 'reconcile'] as const satisfies readonly HandlerName[];
export type AsyncHandler = (typeof ASYNC_HANDLERS)[number];

/** How long an event waits in a dead-letter queue before it expires (the SQS maximum: time to look into it). */
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface OperationsProps {
  /** The functions invoked asynchronously, by handler name. */
  functions: Readonly<Record<AsyncHandler, lambda.Function>>;
  /** Minutes between reconciler runs. */
  reconcileMinutes: number;
  /** E-mail subscribers of the Alarms topic. */
  emails: readonly string[];
}

export class Operations extends Construct {
  /** One dead-letter queue per asynchronously invoked function. */
  readonly deadLetterQueues: Readonly<Record<AsyncHandler, sqs.Queue>>;
  readonly alarms: Readonly<Record<AsyncHandler, cloudwatch.Alarm>>;
  readonly alarmsTopic: sns.Topic;
  readonly reconcileSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);

    // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key, so the Alarms topic has its own key,
    // which only CloudWatch (and SNS for this account) may use.
    const key = new kms.Key(this, 'AlarmsKey', {
      description: 'klingflow: encrypts the Alarms topic (CloudWatch alarms publish to it)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmsTopic = new sns.Topic(this, 'Alarms', { displayName: 'klingflow alarms', enforceSSL: true, masterKey: key });
    for (const email of props.emails) this.alarmsTopic.addSubscription(new subscriptions.EmailSubscription(email));

    const deadLetterQueues = {} as Record<AsyncHandler, sqs.Queue>;
    const alarms = {} as Record<AsyncHandler, cloudwatch.Alarm>;
    for (const name of ASYNC_HANDLERS) {
      const queue = new sqs.Queue(this, `${pascal(name)}DeadLetters`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DEAD_LETTER_RETENTION,
      });
      // The function's own dead-letter destination: an event that failed all of Lambda's asynchronous attempts.
      (props.functions[name].node.defaultChild as lambda.CfnFunction).deadLetterConfig = { targetArn: queue.queueArn };
      const alarm = new cloudwatch.Alarm(this, `${pascal(name)}DeadLettersAlarm`, {
        alarmDescription: `klingflow: an event for the ${name} function failed every attempt and is kept in its dead-letter queue`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.alarmsTopic));
      deadLetterQueues[name] = queue;
      alarms[name] = alarm;
    }
    this.deadLetterQueues = deadLetterQueues;
    this.alarms = alarms;

    // The reconciler on a schedule. Events the rule could not deliver go to the reconciler's dead-letter queue too.
    this.reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'klingflow: re-drive stuck jobs, send missing notices and webhooks, free leaked slots',
      schedule: events.Schedule.rate(Duration.minutes(props.reconcileMinutes)),
      targets: [
        new targets.LambdaFunction(props.functions.reconcile, {
          event: events.RuleTargetInput.fromObject({}),
          deadLetterQueue: deadLetterQueues.reconcile,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(props.reconcileMinutes),
        }),
      ],
    });
  }
}

const pascal = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
