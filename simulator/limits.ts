// Per-dialect account limits: how many tasks one account may have running at once (per account, or per model where
// the provider counts that way) and how many creates it may make in a rolling minute. Dialect-neutral: the engine
// asks `check` before it accepts a task, and the dialect answers a refusal in its own words (Kling 1303/1302, a 429
// with `Retry-After`...). Unset limits refuse nothing.
import { z } from 'zod';

/** One simulated account's limits, per dialect. */
export interface DialectLimits {
  /** Tasks `submitted` or `processing` at once; a create past it is refused (the dialect's concurrency error). */
  maxConcurrent?: number;
  /** Count `maxConcurrent` per model instead of per account. */
  perModel?: boolean;
  /** Creates accepted in any rolling 60 s; a create past it is refused with a retry hint (the dialect's rate-limit error). */
  createsPerMinute?: number;
  /** The rolling window of `createsPerMinute`, in seconds (default 60; tests shorten it). */
  windowSeconds?: number;
}

/** Why a create was refused by a limit. `retryAfterSeconds` (rate): when the window next has room, rounded up. */
export type LimitRefusal =
  | { kind: 'concurrency'; limit: number; inFlight: number; model: string | null }
  | { kind: 'rate'; limit: number; retryAfterSeconds: number };

const DEFAULT_WINDOW_SECONDS = 60;

const LimitsSchema = z.record(
  z.string().min(1),
  z.strictObject({
    maxConcurrent: z.number().int().positive().optional(),
    perModel: z.boolean().optional(),
    createsPerMinute: z.number().int().positive().optional(),
    windowSeconds: z.number().int().positive().optional(),
  }),
);

/**
 * Limits as JSON (`KLINGFLOW_SIMULATOR_LIMITS`): `{"<dialect>": {"maxConcurrent": 3, "perModel": false,
 * "createsPerMinute": 6}}`. Throws `Error` naming what does not fit.
 */
export function parseSimulatorLimits(json: string): Record<string, DialectLimits> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('simulator limits are not valid JSON');
  }
  const parsed = LimitsSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`simulator limits: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** What `check` needs to know about the tasks in flight. */
export interface InFlightCounter {
  /** Tasks of `dialect` still submitted or processing, of `model` when given. */
  inFlight(dialect: string, model: string | null): number;
}

/** Enforces {@link DialectLimits} and remembers the peak concurrency each dialect reached. */
export class AccountLimits {
  private readonly creates = new Map<string, number[]>();
  private readonly peaks = new Map<string, number>();

  constructor(
    private readonly limits: Readonly<Record<string, DialectLimits>>,
    private readonly counter: InFlightCounter,
    private readonly now: () => number = Date.now,
  ) {}

  /** The dialect's limits (empty when none are set). */
  of(dialect: string): DialectLimits {
    return this.limits[dialect] ?? {};
  }

  /** The refusal a create of `model` would get now, or null when it may be accepted. Counts nothing. */
  check(dialect: string, model: string | null): LimitRefusal | null {
    const limits = this.of(dialect);
    if (limits.maxConcurrent !== undefined) {
      const scope = limits.perModel ? model : null;
      const inFlight = this.counter.inFlight(dialect, scope);
      if (inFlight >= limits.maxConcurrent) return { kind: 'concurrency', limit: limits.maxConcurrent, inFlight, model: scope };
    }
    if (limits.createsPerMinute !== undefined) {
      const window = this.window(dialect);
      if (window.length >= limits.createsPerMinute) {
        const oldest = window[window.length - limits.createsPerMinute] ?? this.now();
        const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.windowMs(dialect) - this.now()) / 1000));
        return { kind: 'rate', limit: limits.createsPerMinute, retryAfterSeconds };
      }
    }
    return null;
  }

  /** Records an accepted create (for the rate window and the peak). Call after the task is stored. */
  accepted(dialect: string, model: string | null): void {
    this.window(dialect).push(this.now());
    const scope = this.of(dialect).perModel ? model : null;
    const inFlight = this.counter.inFlight(dialect, scope);
    this.peaks.set(dialect, Math.max(this.peaks.get(dialect) ?? 0, inFlight));
  }

  /** The most tasks one scope (account, or model with `perModel`) of each dialect had in flight at once. */
  peakInFlight(): Record<string, number> {
    return Object.fromEntries(this.peaks);
  }

  /** Forgets the rate windows and peaks. */
  reset(): void {
    this.creates.clear();
    this.peaks.clear();
  }

  private windowMs(dialect: string): number {
    return (this.of(dialect).windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
  }

  private window(dialect: string): number[] {
    const cutoff = this.now() - this.windowMs(dialect);
    const kept = (this.creates.get(dialect) ?? []).filter((at) => at > cutoff);
    this.creates.set(dialect, kept);
    return kept;
  }
}
