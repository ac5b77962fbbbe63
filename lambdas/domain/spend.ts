// The spend guard (docs/api.md, "Spend caps"): optional caps per UTC day and month, per provider and overall, in
// jobs, credits and USD. Free of AWS: the caps' shape, the periods, and whether an amount fits under a cap.
import * as z from './zod.ts';
import { counted } from './counted.ts';

/** What a job spends, or what a period has spent: a count of jobs, provider credits, US dollars. */
export interface SpendAmount {
  jobs: number;
  /** Provider credits (the provider's own unit). */
  credits: number;
  /** US dollars. */
  usd: number;
}

export const ZERO_SPEND: SpendAmount = { jobs: 0, credits: 0, usd: 0 };

/** The units a cap can be set in. */
export const SPEND_UNITS = ['jobs', 'credits', 'usd'] as const;
export type SpendUnit = (typeof SPEND_UNITS)[number];

const Limit = z.strictObject({
  jobs: z.optional(z.number().check(z.int(), z.nonnegative())),
  credits: z.optional(z.number().check(z.nonnegative())),
  usd: z.optional(z.number().check(z.nonnegative())),
});

/** `total` or a provider id → its limits. */
const Scoped = z.record(z.string().check(z.regex(/^(total|[a-z0-9][a-z0-9-]{0,63})$/, 'a scope is "total" or a provider id')), Limit);

/**
 * The caps, as `KLINGFLOW_SPEND_CAPS` (locally), the `spendCaps` context key and the SSM parameter (on AWS) hold
 * them: `{"daily": {"total": {"usd": 20}, "kling": {"jobs": 50, "credits": 500}}, "monthly": {"total": {"usd": 300}}}`.
 * Every part is optional; `{}` caps nothing.
 */
export const SpendCaps = z.strictObject({ daily: z.optional(Scoped), monthly: z.optional(Scoped) });
export type SpendCaps = z.infer<typeof SpendCaps>;

/** Spend caps that cannot be read: `message` names their source, `detail` is what is wrong without it. */
export class SpendCapsInvalid extends Error {
  override readonly name = 'SpendCapsInvalid';
  constructor(
    source: string,
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}

/** Reads caps from JSON text; throws {@link SpendCapsInvalid} naming `source` and the path of the first problem. */
export function parseSpendCaps(text: string, source: string): SpendCaps {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SpendCapsInvalid(source, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = SpendCaps.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpendCapsInvalid(
      source,
      `${issue?.path.join('.') || 'caps'} ${issue?.message}; expected {"daily"|"monthly": {"total"|<provider>: {"jobs"|"credits"|"usd": number}}}`,
    );
  }
  return parsed.data;
}

export type PeriodKind = 'daily' | 'monthly';

/** The UTC day and month `at` falls in: `2026-11-30`, `2026-11`. */
export function periodsOf(at: Date): { day: string; month: string } {
  const iso = at.toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

/** When the period that holds `at` ends (UTC): the next midnight, or the first of the next month. */
export function periodEnd(kind: PeriodKind, at: Date): Date {
  return kind === 'daily'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/** One counter the guard keeps: a period (`day#2026-11-30`, `month#2026-11`) and a scope (`total` or a provider id). */
export interface SpendCounter {
  kind: PeriodKind;
  period: string;
  scope: string;
}

/** The four counters a job of `providerId` at `at` adds to: its day and month, overall and for its provider. */
export function countersOf(providerId: string, at: Date): SpendCounter[] {
  const { day, month } = periodsOf(at);
  return [
    { kind: 'daily', period: `day#${day}`, scope: 'total' },
    { kind: 'daily', period: `day#${day}`, scope: providerId },
    { kind: 'monthly', period: `month#${month}`, scope: 'total' },
    { kind: 'monthly', period: `month#${month}`, scope: providerId },
  ];
}

/** The limits that apply to one counter, or undefined when none does. */
export function limitOf(caps: SpendCaps, counter: SpendCounter): Partial<Record<SpendUnit, number>> | undefined {
  return caps[counter.kind]?.[counter.scope];
}

/** A cap an amount would cross: which, and the figures a person needs to understand it. */
export interface SpendBreach {
  counter: SpendCounter;
  unit: SpendUnit;
  /** The cap, in `unit`. */
  cap: number;
  /** What the period has spent so far, in every unit. */
  spent: SpendAmount;
  /** What the refused job would add, in `unit`. */
  adding: number;
}

/** Rounds to 6 decimal places (USD sums stay exact enough to compare with a cap). */
export const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

/**
 * The first cap `amount` would cross on top of `spent`, or undefined when it fits under every cap. A cap is crossed
 * when the total would exceed it: a cap of 2 jobs admits the first two and refuses the third.
 */
export function breachOf(caps: SpendCaps, counter: SpendCounter, spent: SpendAmount, amount: SpendAmount): SpendBreach | undefined {
  const limit = limitOf(caps, counter);
  if (!limit) return undefined;
  for (const unit of SPEND_UNITS) {
    const cap = limit[unit];
    if (cap === undefined || amount[unit] === 0) continue;
    if (round6(spent[unit] + amount[unit]) > cap) return { counter, unit, cap, spent, adding: amount[unit] };
  }
  return undefined;
}

const UNIT_WORDS: Record<SpendUnit, (n: number) => string> = {
  jobs: (n) => counted(n, 'job'),
  credits: (n) => `${round6(n)} credits`,
  usd: (n) => `$${n.toFixed(2)}`,
};

/**
 * What a person reads when a job is refused: the cap (period, scope, unit), what the period has spent, what the job
 * would add, and when the period ends. E.g. "the daily cap of 2 jobs for provider kling-ai is reached: today's spend
 * is 2 jobs, 20 credits, $0.28; this job would add 1 job. The cap resets at 2026-12-01T00:00:00.000Z".
 */
export function breachMessage(breach: SpendBreach, at: Date): string {
  const { counter, unit, cap, spent, adding } = breach;
  const which = counter.scope === 'total' ? 'overall' : `for provider ${counter.scope}`;
  const when = counter.kind === 'daily' ? "today's" : "this month's";
  const spentText = SPEND_UNITS.map((u) => UNIT_WORDS[u](spent[u])).join(', ');
  return (
    `the ${counter.kind} cap of ${UNIT_WORDS[unit](cap)} ${which} is reached: ${when} spend is ${spentText}; ` +
    `this job would add ${UNIT_WORDS[unit](adding)}. The cap resets at ${periodEnd(counter.kind, at).toISOString()}`
  );
}

/** What a job counts against the caps: one job, and its estimated credits and USD (0 where it has no estimate). */
export function spendOfEstimate(cost: { credits?: number; usd?: number } | undefined): SpendAmount {
  return { jobs: 1, credits: cost?.credits ?? 0, usd: cost?.usd ?? 0 };
}

/**
 * The correction once the provider reports the charge: reported minus recorded, per unit (jobs 0). A unit the
 * provider does not report keeps the recorded estimate (delta 0).
 */
export function correctionOf(recorded: SpendAmount, reported: { credits?: number; usd?: number }): SpendAmount {
  return {
    jobs: 0,
    credits: reported.credits === undefined ? 0 : round6(reported.credits - recorded.credits),
    usd: reported.usd === undefined ? 0 : round6(reported.usd - recorded.usd),
  };
}
