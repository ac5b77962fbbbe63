// lib/monitoring.ts and lib/dashboard.ts in the synthesized template: every alarm, where its threshold comes from
// (the context key `alarms`, else ALARM_DEFAULTS), the metrics it watches, the operators' topic it tells; and the
// dashboard's widgets. Metric names and dimensions are the handlers' (lambdas/domain/metrics.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Node } from 'constructs';
import { METRICS } from '../../lambdas/domain/metrics.ts';
import { HANDLERS } from '../../lambdas/workflow/contract.ts';
import { ALARM_DEFAULTS, type AlarmThresholds, readKlingflowConfig } from '../../lib/config.ts';
import { DASHBOARD_WIDGET_TITLES } from '../../lib/dashboard.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import { asArray, type CfnResource, type CfnTemplate, functionsByHandler, render, resourcesOfType } from './template-queries.ts';

const PROVIDERS = ['kling', 'kling-v3-rest', 'fal'];
let template: CfnTemplate;
let custom: CfnTemplate;

/** Every threshold changed to a value no default has, so each alarm shows which key it reads. */
const CUSTOM: AlarmThresholds = {
  failureRatePercent: 11,
  failureWindowMinutes: 30,
  failureMinJobs: 3,
  pastDeadlineJobs: 4,
  providerAccountErrors: 2,
  dailySpendUsd: 55,
  dailySpendCredits: 777,
  lambdaErrors: 9,
  executionFailures: 13,
};

beforeAll(() => {
  template = synthesizeTemplate({ context: { enabledProviders: PROVIDERS } });
  custom = synthesizeTemplate({ context: { enabledProviders: PROVIDERS, reconcileMinutes: 15, alarms: JSON.stringify(CUSTOM) } });
});

/** The alarm lib/monitoring.ts named `name` (its logical id is the name without punctuation, and a hash). */
function alarmOf(t: CfnTemplate, name: string): CfnResource {
  const pattern = new RegExp(`^Monitoring${name.replace(/[^A-Za-z0-9]/g, '')}[0-9A-F]{8}$`);
  const found = resourcesOfType(t, 'AWS::CloudWatch::Alarm').filter(([id]) => pattern.test(id));
  if (found.length !== 1) throw new Error(`expected one alarm ${name}, found ${found.length}`);
  return found[0]![1];
}

/** The metrics an alarm's math reads: `{id: "namespace metric dim=value,... stat period"}`. */
function metricsOf(alarm: CfnResource): Record<string, string> {
  return Object.fromEntries(
    asArray(alarm.Properties!.Metrics as any[])
      .filter((m) => m.MetricStat)
      .map((m) => {
        const { Metric, Stat, Period } = m.MetricStat;
        const dims = asArray(Metric.Dimensions as { Name: string; Value: unknown }[]).map((d) => `${d.Name}=${render(d.Value)}`);
        return [m.Id, `${Metric.Namespace} ${Metric.MetricName} ${dims.join(',')} ${Stat} ${Period}`];
      }),
  );
}

const expressionOf = (alarm: CfnResource): string => (alarm.Properties!.Metrics as any[]).find((m) => m.Expression).Expression;

const expectedAlarms = [
  ...PROVIDERS.flatMap((p) => [`FailureRate-${p}`, `ProviderAccountErrors-${p}`]),
  'JobsPastDeadline',
  'DailySpendUsd',
  'DailySpendCredits',
  ...HANDLERS.map((h) => `LambdaErrors-${h}`),
  'ExecutionsTimedOut',
  'ExecutionsFailed',
];

describe('alarms', () => {
  it('every alarm tells the operators’ topic (Alarms, not Notices) and nothing else, and stays quiet without data', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    // The monitoring alarms, plus the two dead-letter queue alarms of lib/operations.ts.
    expect(alarms).toHaveLength(expectedAlarms.length + 2);
    const [topicId] = resourcesOfType(template, 'AWS::SNS::Topic').find(([id]) => id.startsWith('OperationsAlarms'))!;
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties!.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties, id).toMatchObject({ TreatMissingData: 'notBreaching', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Properties!.AlarmName, id).toBeUndefined(); // generated names: a stack deployed twice does not collide
    }
    for (const name of expectedAlarms) expect(() => alarmOf(template, name), name).not.toThrow();
  });

  it('takes each threshold from the context key alarms, else from ALARM_DEFAULTS', () => {
    const thresholdOf: Record<string, keyof AlarmThresholds | number> = {
      'FailureRate-kling': 'failureRatePercent',
      'ProviderAccountErrors-fal': 'providerAccountErrors',
      JobsPastDeadline: 'pastDeadlineJobs',
      DailySpendUsd: 'dailySpendUsd',
      DailySpendCredits: 'dailySpendCredits',
      'LambdaErrors-submit': 'lambdaErrors',
      ExecutionsFailed: 'executionFailures',
      ExecutionsTimedOut: 1,
    };
    for (const [name, key] of Object.entries(thresholdOf)) {
      expect(alarmOf(template, name).Properties!.Threshold, name).toBe(typeof key === 'number' ? key : ALARM_DEFAULTS[key]);
      expect(alarmOf(custom, name).Properties!.Threshold, name).toBe(typeof key === 'number' ? key : CUSTOM[key]);
    }
  });

  it('failure rate per provider: jobs that did not succeed over jobs that ended, over the window, once enough ended', () => {
    const alarm = alarmOf(custom, 'FailureRate-kling-v3-rest');
    expect(expressionOf(alarm)).toBe(
      'IF((FILL(p_kling_v3_rest_ok, 0) + FILL(p_kling_v3_rest_failed, 0)) >= 3, 100 * FILL(p_kling_v3_rest_failed, 0) / (FILL(p_kling_v3_rest_ok, 0) + FILL(p_kling_v3_rest_failed, 0)), 0)',
    );
    expect(metricsOf(alarm)).toEqual({
      p_kling_v3_rest_ok: 'klingflow JobsFinished provider=kling-v3-rest,service=klingflow,status=SUCCEEDED Sum 1800',
      p_kling_v3_rest_failed: 'klingflow JobsFailed provider=kling-v3-rest,service=klingflow Sum 1800',
    });
    expect(alarmOf(template, 'FailureRate-kling').Properties!.Metrics[1].MetricStat.Period).toBe(ALARM_DEFAULTS.failureWindowMinutes * 60);
  });

  it("a provider's auth and credit errors, jobs past their deadline and spend read the handlers' metrics", () => {
    expect(metricsOf(alarmOf(template, 'ProviderAccountErrors-fal'))).toEqual({
      auth: 'klingflow ProviderErrors kind=auth,provider=fal,service=klingflow Sum 300',
      credits: 'klingflow ProviderErrors kind=insufficient_credits,provider=fal,service=klingflow Sum 300',
      low: 'klingflow ProviderErrors kind=low_balance,provider=fal,service=klingflow Sum 300',
    });
    // A gauge the reconciler writes on each run (every reconcileMinutes): the largest count in that period.
    for (const [t, period] of [
      [template, 600],
      [custom, 900],
    ] as const) {
      expect(alarmOf(t, 'JobsPastDeadline').Properties).toMatchObject({
        Namespace: 'klingflow',
        MetricName: 'JobsPastDeadline',
        Statistic: 'Maximum',
        Period: period,
        Dimensions: expect.arrayContaining([{ Name: 'provider', Value: 'all' }]),
      });
    }
    const spend = alarmOf(template, 'DailySpendUsd');
    expect(expressionOf(spend)).toBe('FILL(p_kling, 0) + FILL(p_kling_v3_rest, 0) + FILL(p_fal, 0)');
    expect(Object.values(metricsOf(spend))).toEqual(PROVIDERS.map((p) => `klingflow SpendUsd provider=${p},service=klingflow Sum 86400`));
    expect(Object.values(metricsOf(alarmOf(template, 'DailySpendCredits')))[0]).toBe(
      'klingflow SpendCredits provider=kling,service=klingflow Sum 86400',
    );
  });

  it('every function: errors plus throttles; executions: timed out or aborted, and failures by the hour', () => {
    const functions = functionsByHandler(template);
    for (const name of HANDLERS) {
      expect(metricsOf(alarmOf(template, `LambdaErrors-${name}`)), name).toEqual({
        errors: `AWS/Lambda Errors FunctionName=<${functions[name].logicalId}> Sum 300`,
        throttles: `AWS/Lambda Throttles FunctionName=<${functions[name].logicalId}> Sum 300`,
      });
    }
    const timedOut = metricsOf(alarmOf(template, 'ExecutionsTimedOut'));
    expect(Object.values(timedOut).map((m) => m.split(' ').slice(0, 2).join(' '))).toEqual([
      'AWS/States ExecutionsTimedOut',
      'AWS/States ExecutionsAborted',
    ]);
    expect(alarmOf(template, 'ExecutionsFailed').Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Period: 3600,
    });
  });

  it('every metric an alarm reads in namespace klingflow is in the catalogue, with exactly its dimensions', () => {
    for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      const stats = [
        ...asArray(alarm.Properties!.Metrics as any[])
          .filter((m) => m.MetricStat)
          .map((m) => m.MetricStat.Metric),
        ...(alarm.Properties!.MetricName ? [alarm.Properties] : []),
      ].filter((m) => m.Namespace === 'klingflow');
      for (const metric of stats) {
        const spec = METRICS[metric.MetricName as keyof typeof METRICS];
        expect(spec, `${id} ${metric.MetricName}`).toBeDefined();
        expect(
          asArray(metric.Dimensions as { Name: string }[])
            .map((d) => d.Name)
            .sort(),
          id,
        ).toEqual(['service', ...spec.dimensions].sort());
      }
    }
  });

  it('refuses a threshold it does not know, or one that is not a positive number', () => {
    const configFrom = (alarms: unknown) =>
      readKlingflowConfig({ tryGetContext: (key: string) => (key === 'alarms' ? alarms : undefined) } as unknown as Node);
    expect(configFrom('{"dailySpendUsd": "20"}').alarms.dailySpendUsd).toBe(20);
    expect(() => configFrom({ dailySpend: 20 })).toThrow(/alarms\.dailySpend: not an alarm threshold/);
    expect(() => configFrom({ lambdaErrors: 0 })).toThrow(/alarms\.lambdaErrors: expected a positive number/);
    expect(() => configFrom({ failureWindowMinutes: 7 })).toThrow(/multiple of 5/);
  });

  it('needs no cloudwatch:PutMetricData (metrics are log lines) and traces every function', () => {
    const policies = JSON.stringify(resourcesOfType(template, 'AWS::IAM::Policy'));
    expect(policies).not.toContain('cloudwatch:');
    for (const [name, fn] of Object.entries(functionsByHandler(template))) {
      expect(fn.resource.Properties!.TracingConfig, name).toEqual({ Mode: 'Active' });
    }
  });
});

describe('dashboard', () => {
  const bodyOf = (t: CfnTemplate) => {
    const [[, dashboard]] = resourcesOfType(t, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    expect(dashboard.Properties!.DashboardName).toBeUndefined();
    return JSON.parse(render(dashboard.Properties!.DashboardBody)) as {
      widgets: { type: string; width: number; x: number; properties: any }[];
    };
  };

  it('has its widgets in order, none wider than the grid', () => {
    const { widgets } = bodyOf(template);
    expect(widgets.map((w) => w.properties.title)).toEqual([...DASHBOARD_WIDGET_TITLES]);
    for (const widget of widgets) expect(widget.x + widget.width).toBeLessThanOrEqual(24);
  });

  it('shows the state of every alarm', () => {
    const { widgets } = bodyOf(template);
    const alarmIds = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id]) => `<${id}.Arn>`);
    expect([...widgets[0]!.properties.alarms].sort()).toEqual(alarmIds.sort());
  });

  it('graphs each provider: a line per enabled provider, or a search over the provider dimension', () => {
    const { widgets } = bodyOf(template);
    const widget = (title: string) => widgets.find((w) => w.properties.title === title)!.properties;
    const perProvider = (title: string, metric: string) =>
      expect(
        widget(title)
          .metrics.filter((m: unknown[]) => m[1] === metric)
          .map((m: unknown[]) => m[m.indexOf('provider') + 1]),
        title,
      ).toEqual(PROVIDERS);
    perProvider('Jobs created', 'JobsCreated');
    perProvider('Submit (s)', 'SubmitSeconds');
    perProvider('Generation at the provider (s)', 'GenerationSeconds');
    perProvider('Spend per day (USD)', 'SpendUsd');
    perProvider('Spend per day (credits)', 'SpendCredits');
    perProvider('Submit retries', 'SubmitRetries');
    perProvider('Callbacks received and polls', 'CallbacksReceived');
    perProvider('Callbacks received and polls', 'Polls');
    perProvider('Unfinished jobs past their deadline', 'JobsPastDeadline');
    expect(JSON.stringify(widget('Jobs finished by status').metrics)).toContain(
      `SEARCH('{klingflow,service,provider,status} MetricName=\\"JobsFinished\\"`,
    );
    expect(JSON.stringify(widget('Provider errors by kind').metrics)).toContain(
      '{klingflow,service,provider,kind} MetricName=\\"ProviderErrors\\"',
    );
    expect(widget('Failure rate (%)').metrics.filter((m: unknown[]) => (m[0] as { expression?: string }).expression).length).toBe(
      PROVIDERS.length,
    );
    expect(widget('Lambda errors and throttles').metrics).toHaveLength(HANDLERS.length * 2);
    expect(widget('Dead-letter queues (messages)').metrics).toHaveLength(2);
  });
});
