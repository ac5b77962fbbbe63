// The operators' CloudWatch dashboard: every alarm's state, then jobs, step times, provider errors, retries,
// callbacks against polls, spend and stuck jobs per provider (the handlers' EMF metrics, lambdas/domain/metrics.ts),
// then the functions, the executions and the dead-letter queues. One line per enabled provider in each graph.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../lambdas/domain/metrics.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';
import { failureRateOf, klingflowMetric } from './monitoring.ts';

/** The step-time metrics, one graph each (average and maximum per provider, seconds). */
export const STEP_TIME_METRICS = [
  ['QueueWaitSeconds', 'Queue and slot wait (s)'],
  ['SubmitSeconds', 'Submit (s)'],
  ['GenerationSeconds', 'Generation at the provider (s)'],
  ['ArchiveSeconds', 'Archive to S3 (s)'],
  ['NotifySeconds', 'Notify (s)'],
] as const satisfies readonly (readonly [MetricName, string])[];

/** Every widget's title, in order (the CDK test holds the dashboard to this list). */
export const DASHBOARD_WIDGET_TITLES = [
  'Alarms',
  'Jobs created',
  'Jobs finished by status',
  'Failure rate (%)',
  ...STEP_TIME_METRICS.map(([, title]) => title),
  'Job duration, created to finished (s)',
  'Provider errors by kind',
  'Submit retries',
  'Callbacks received and polls',
  'Spend per day (USD)',
  'Spend per day (credits)',
  'Unfinished jobs past their deadline',
  'Lambda errors and throttles',
  'Workflow executions',
  'Dead-letter queues (messages)',
] as const;

export interface DashboardProps {
  providers: readonly string[];
  alarms: readonly cloudwatch.IAlarm[];
  functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  stateMachine: sfn.IStateMachine;
  deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
}

/** A search over every value of the dimensions (e.g. each provider and status) of one klingflow metric. */
const searchOf = (name: MetricName, dimensions: readonly string[], statistic: string, label: string, period = Duration.minutes(5)) =>
  new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${['service', ...dimensions].join(',')}} MetricName="${name}" service="${METRICS_SERVICE}"', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    label,
  });

/** The CloudWatch dashboard ({@link DASHBOARD_WIDGET_TITLES}, in rows of 24 columns); its name is generated. */
export class OperationsDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { providers } = props;
    const perProvider = (name: MetricName, options: { statistic?: string; period?: Duration } = {}) =>
      providers.map((provider) => klingflowMetric(name, { provider }, { ...options, label: provider }));
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...options });
    const day = Duration.days(1);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 })],
        [
          graph('Jobs created', perProvider('JobsCreated')),
          graph('Jobs finished by status', [searchOf('JobsFinished', ['provider', 'status'], 'Sum', '')]),
          graph(
            'Failure rate (%)',
            providers.map((provider) => failureRateOf(provider, Duration.hours(1), 1)),
            { leftYAxis: { min: 0, max: 100 } },
          ),
        ],
        // Rows of three (24 columns): the step times take two.
        STEP_TIME_METRICS.slice(0, 3).map(([name, title]) => graph(title, perProvider(name, { statistic: 'Average' }))),
        [
          ...STEP_TIME_METRICS.slice(3).map(([name, title]) => graph(title, perProvider(name, { statistic: 'Average' }))),
          graph('Job duration, created to finished (s)', [searchOf('JobSeconds', ['provider', 'status'], 'Average', '')]),
        ],
        [
          graph('Provider errors by kind', [searchOf('ProviderErrors', ['provider', 'kind'], 'Sum', '')]),
          graph('Submit retries', perProvider('SubmitRetries')),
          graph('Callbacks received and polls', [
            ...providers.map((provider) => klingflowMetric('CallbacksReceived', { provider }, { label: `${provider} callbacks` })),
            ...providers.map((provider) => klingflowMetric('Polls', { provider }, { label: `${provider} polls` })),
          ]),
        ],
        [
          graph('Spend per day (USD)', perProvider('SpendUsd', { period: day }), { stacked: true, period: day }),
          graph('Spend per day (credits)', perProvider('SpendCredits', { period: day }), { stacked: true, period: day }),
          graph('Unfinished jobs past their deadline', perProvider('JobsPastDeadline', { statistic: 'Maximum' })),
        ],
        [
          graph(
            'Lambda errors and throttles',
            Object.entries(props.functions).flatMap(([name, fn]) => [
              fn.metricErrors({ label: `${name} errors` }),
              fn.metricThrottles({ label: `${name} throttles` }),
            ]),
          ),
          graph('Workflow executions', [
            props.stateMachine.metricStarted({ label: 'started' }),
            props.stateMachine.metricSucceeded({ label: 'succeeded' }),
            props.stateMachine.metricFailed({ label: 'failed' }),
            props.stateMachine.metricTimedOut({ label: 'timed out' }),
            props.stateMachine.metricAborted({ label: 'aborted' }),
          ]),
          graph(
            'Dead-letter queues (messages)',
            Object.entries(props.deadLetterQueues).map(([name, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: name }),
            ),
          ),
        ],
      ],
    });
  }
}
