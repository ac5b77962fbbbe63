// What tells an operator that klingflow needs them: CloudWatch alarms on the handlers' own metrics (EMF, namespace
// `klingflow`, lambdas/domain/metrics.ts) and on Lambda and Step Functions, each publishing to the Alarms topic (lib/
// operations.ts: the operators' topic, with the `alarmEmails` subscribers; job owners get notices on another topic).
// Thresholds come from the context key `alarms` (lib/config.ts, ALARM_DEFAULTS). The dead-letter queue alarms live
// with their queues in lib/operations.ts and are listed here too, so the dashboard shows every alarm.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ALL_PROVIDERS, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../lambdas/domain/metrics.ts';
import type { HandlerName } from '../lambdas/workflow/contract.ts';
import type { AlarmThresholds } from './config.ts';

/** A klingflow metric (EMF, namespace `klingflow`) with its `service` dimension and the given others. */
export function klingflowMetric(
  name: MetricName,
  dimensions: Record<string, string>,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}

/** Expression ids must start with a lower-case letter and hold only letters, digits and '_'. */
export const expressionIdOf = (text: string): string => `p_${text.replace(/[^A-Za-z0-9]/g, '_')}`;

/**
 * A provider's failure rate in percent over `period`: jobs that ended FAILED or TIMED_OUT (JobsFailed) over those
 * plus the ones that SUCCEEDED (JobsFinished with status SUCCEEDED); cancelled jobs count in neither. 0 while fewer
 * than `minJobs` ended.
 */
export function failureRateOf(provider: string, period: Duration, minJobs: number): cloudwatch.MathExpression {
  // Ids named after the provider: a graph of several providers' rates must not share ids between them.
  const ok = `${expressionIdOf(provider)}_ok`;
  const failed = `${expressionIdOf(provider)}_failed`;
  const ended = `(FILL(${ok}, 0) + FILL(${failed}, 0))`;
  return new cloudwatch.MathExpression({
    expression: `IF(${ended} >= ${minJobs}, 100 * FILL(${failed}, 0) / ${ended}, 0)`,
    usingMetrics: {
      [ok]: klingflowMetric('JobsFinished', { provider, status: 'SUCCEEDED' }, { period }),
      [failed]: klingflowMetric('JobsFailed', { provider }, { period }),
    },
    period,
    label: `${provider} failure rate (%)`,
  });
}

/** A metric summed over every provider (missing data as 0), for the spend alarms. */
function sumOverProviders(name: MetricName, providers: readonly string[], period: Duration, label: string): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(
    providers.map((provider) => [expressionIdOf(provider), klingflowMetric(name, { provider }, { period })]),
  );
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    period,
    label,
  });
}

/** Every alarm klingflow defines, by name; `<provider>`, `<handler>` stand for each enabled provider and each handler. */
export type AlarmName =
  | `FailureRate-${string}`
  | 'JobsPastDeadline'
  | `ProviderAccountErrors-${string}`
  | 'DailySpendUsd'
  | 'DailySpendCredits'
  | `LambdaErrors-${string}`
  | 'ExecutionsTimedOut'
  | 'ExecutionsFailed'
  | `DeadLetters-${string}`;

export interface MonitoringProps {
  /** The operators' topic every alarm publishes to (lib/operations.ts). */
  topic: sns.ITopic;
  providers: readonly string[];
  thresholds: AlarmThresholds;
  functions: Readonly<Record<HandlerName, lambda.IFunction>>;
  stateMachine: sfn.IStateMachine;
  /** Minutes between reconciler runs: the period of the JobsPastDeadline gauge. */
  reconcileMinutes: number;
  /** Alarms defined elsewhere (the dead-letter queues'), already publishing to `topic`; listed for the dashboard. */
  deadLetterAlarms: Readonly<Record<string, cloudwatch.IAlarm>>;
}

/**
 * The alarms of one deployment: per enabled provider its failure rate and account errors; jobs past their deadline;
 * daily spend (USD, credits); each function's errors and throttles; executions timed out, aborted or failed. Each
 * publishes to `props.topic`; thresholds from `props.thresholds` (counts per window, percent, USD or credits).
 */
export class Monitoring extends Construct {
  /** Every alarm, by {@link AlarmName}. */
  readonly alarms: ReadonlyMap<AlarmName, cloudwatch.IAlarm>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { thresholds: t, providers } = props;
    const alarms = new Map<AlarmName, cloudwatch.IAlarm>();
    const action = new cloudwatchActions.SnsAction(props.topic);
    const add = (name: AlarmName, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const alarm = new cloudwatch.Alarm(this, name, {
        alarmDescription: `klingflow: ${description}`,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarms.set(name, alarm);
    };

    const window = Duration.minutes(t.failureWindowMinutes);
    for (const provider of providers) {
      add(
        `FailureRate-${provider}`,
        failureRateOf(provider, window, t.failureMinJobs),
        t.failureRatePercent,
        `${t.failureRatePercent}% or more of the ${provider} jobs that ended in ${t.failureWindowMinutes} min did not succeed ` +
          `(at least ${t.failureMinJobs} ended; context alarms.failureRatePercent)`,
      );
      add(
        `ProviderAccountErrors-${provider}`,
        new cloudwatch.MathExpression({
          expression: 'FILL(auth, 0) + FILL(credits, 0) + FILL(low, 0)',
          usingMetrics: {
            auth: klingflowMetric('ProviderErrors', { provider, kind: 'auth' }),
            credits: klingflowMetric('ProviderErrors', { provider, kind: 'insufficient_credits' }),
            // Submit's own check: the balance is below the reserve (MIN_BALANCE_CREDITS), before the provider refuses.
            low: klingflowMetric('ProviderErrors', { provider, kind: 'low_balance' }),
          },
          period: Duration.minutes(5),
          label: `${provider} auth and credit errors`,
        }),
        t.providerAccountErrors,
        `${provider} refused requests for its credentials or its credits, or its balance is below the reserve ` +
          '(ProviderErrors kind auth, insufficient_credits or low_balance); ' +
          "check the provider's secret and the account's balance (context alarms.providerAccountErrors)",
      );
    }

    add(
      'JobsPastDeadline',
      klingflowMetric(
        'JobsPastDeadline',
        { provider: ALL_PROVIDERS },
        { statistic: 'Maximum', period: Duration.minutes(Math.max(5, props.reconcileMinutes)) },
      ),
      t.pastDeadlineJobs,
      'unfinished jobs older than their deadline (counted by the reconciler on each run; context alarms.pastDeadlineJobs)',
    );

    const day = Duration.days(1);
    add(
      'DailySpendUsd',
      sumOverProviders('SpendUsd', providers, day, 'spend (USD) per day'),
      t.dailySpendUsd,
      `the jobs that succeeded today cost $${t.dailySpendUsd} or more over all providers (context alarms.dailySpendUsd)`,
    );
    add(
      'DailySpendCredits',
      sumOverProviders('SpendCredits', providers, day, 'spend (credits) per day'),
      t.dailySpendCredits,
      `the jobs that succeeded today cost ${t.dailySpendCredits} credits or more over all providers (context alarms.dailySpendCredits)`,
    );

    for (const [handler, fn] of Object.entries(props.functions)) {
      add(
        `LambdaErrors-${handler}`,
        new cloudwatch.MathExpression({
          expression: 'FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: {
            errors: fn.metricErrors({ period: Duration.minutes(5) }),
            throttles: fn.metricThrottles({ period: Duration.minutes(5) }),
          },
          period: Duration.minutes(5),
          label: `${handler} errors and throttles`,
        }),
        t.lambdaErrors,
        `the ${handler} function failed or was throttled ${t.lambdaErrors} times or more in 5 min (context alarms.lambdaErrors)`,
      );
    }

    add(
      'ExecutionsTimedOut',
      new cloudwatch.MathExpression({
        expression: 'FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          timedOut: props.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
          aborted: props.stateMachine.metricAborted({ period: Duration.minutes(5) }),
        },
        period: Duration.minutes(5),
        label: 'executions timed out or aborted',
      }),
      1,
      'a workflow execution timed out or was aborted: its job is left to the reconciler',
    );
    add(
      'ExecutionsFailed',
      props.stateMachine.metricFailed({ period: Duration.hours(1) }),
      t.executionFailures,
      `${t.executionFailures} or more workflow executions failed in an hour (every job that does not succeed fails its ` +
        'execution, so this is a volume alarm; context alarms.executionFailures)',
    );

    for (const [handler, alarm] of Object.entries(props.deadLetterAlarms)) alarms.set(`DeadLetters-${handler}`, alarm);
    this.alarms = alarms;
  }
}
