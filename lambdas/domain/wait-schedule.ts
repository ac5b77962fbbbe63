// When the workflow looks at a provider's task next: a schedule computed per job from what is known of it, so
// waiting follows the provider instead of a fixed round. Pure: no clock, no I/O. Every figure is in seconds of
// provider time (the handlers scale it for a local stack that runs faster than real time).
//
// Facts: the median generation latencies of Kling v3 in seed 000 ("Performance and Cost Reference": 720p 5 s
// 60–90 s, 1080p 5 s 90–120 s, 4K 5 s 150–210 s, 720p 10 s 120–180 s, 1080p 10 s 180–240 s, 4K 10 s 300–420 s;
// audio +15–25 s; "~90 seconds median for a 5-second 720p clip"). The seed gives no table for other models; they
// are assumed to be no faster than v3.

/** A range of median generation latency, in seconds, for one resolution and a 5 s and a 10 s clip. */
export interface LatencyFact {
  fiveSeconds: readonly [low: number, high: number];
  tenSeconds: readonly [low: number, high: number];
}

/** Seed 000's latency table (Kling v3, February 2026), by resolution. Source: seed 000, "Performance and Cost Reference". */
export const LATENCY_FACTS: Readonly<Record<'720p' | '1080p' | '4k', LatencyFact>> = {
  '720p': { fiveSeconds: [60, 90], tenSeconds: [120, 180] },
  '1080p': { fiveSeconds: [90, 120], tenSeconds: [180, 240] },
  '4k': { fiveSeconds: [150, 210], tenSeconds: [300, 420] },
};

/** Seconds `audio` adds to a generation (seed 000: "+15–25s"). */
export const AUDIO_EXTRA_SECONDS: readonly [low: number, high: number] = [15, 25];

/** What the schedule knows of a job's request. Missing fields take the seed's defaults (5 s, 720p, no audio). */
export interface GenerationShape {
  durationSeconds?: number;
  resolution?: '720p' | '1080p' | '4k';
  audio?: boolean;
}

/** Expected generation time of a job: a low and a high end, in seconds after submission. */
export interface ExpectedLatency {
  low: number;
  high: number;
}

/**
 * The expected generation time of `shape` (seconds): the seed's range for its resolution, interpolated linearly in
 * the clip's duration between the 5 s and 10 s rows (and extrapolated beyond them, never below 5 s's half), plus the
 * audio surcharge. Example: 5 s 720p → {low: 60, high: 90}; 10 s 4K → {low: 300, high: 420}.
 */
export function expectedLatency(shape: GenerationShape): ExpectedLatency {
  const fact = LATENCY_FACTS[shape.resolution ?? '720p'];
  const duration = shape.durationSeconds ?? 5;
  const at = (i: 0 | 1) => {
    const perSecond = (fact.tenSeconds[i] - fact.fiveSeconds[i]) / 5;
    return Math.max(fact.fiveSeconds[i] / 2, fact.fiveSeconds[i] + perSecond * (duration - 5));
  };
  const audio = shape.audio ? AUDIO_EXTRA_SECONDS : ([0, 0] as const);
  return { low: at(0) + audio[0], high: at(1) + audio[1] };
}

/** The schedule's constants (seconds of provider time). */
export const WAIT_SCHEDULE = {
  /** Shortest wait between two checks. */
  minSeconds: 1,
  /**
   * Interval between polls while the completion is near (the notice comes at most this late). PollStatus makes these
   * polls itself, one after another in one invocation (lambdas/handlers/poll-status.ts), so they cost no transitions.
   */
  nearSeconds: 3,
  /** The near window ends at the estimate's high end times this; after it, waits grow with the time elapsed. */
  nearUntilFactor: 1.5,
  /** Past the near window, each wait is this fraction of the time elapsed (checks at t, 1.5 t, 2.25 t…). */
  lateFraction: 0.5,
} as const;

/** What is known of a job when its next check is planned. Seconds of provider time. */
export interface ScheduleInput {
  /** Seconds since the provider accepted the task. */
  elapsedSeconds: number;
  expected: ExpectedLatency;
  /** Seconds after submission at which the job is TIMED_OUT. */
  deadlineSeconds: number;
  /** Longest allowed wait between polls (the slot's lease must be renewed before it runs out). */
  maxWaitSeconds: number;
  /** The provider calls back: the checks are only a safety net for a lost callback. */
  callbacks: boolean;
  /** Provider hints from the last poll, where the provider gives them. */
  progress?: number;
  /** Provider's estimate of the seconds until the task completes, from now. */
  etaSeconds?: number;
  /** Provider's queue position (1: next to start); the task has not started yet. */
  queuePosition?: number;
}

/**
 * The next check: wait `seconds` (> 0, not rounded), or the deadline has passed (the job is TIMED_OUT). `near`: the
 * completion is near and the next poll soon; PollStatus makes it itself rather than ending its invocation.
 */
export type NextCheck = { seconds: number; near: boolean; deadlinePassed: false } | { seconds: 0; near: false; deadlinePassed: true };

/**
 * When to look at the task next.
 * - Past the deadline: `deadlinePassed`.
 * - Callback providers: one wait for the callback of half the time left to the deadline (plus a second), so that one
 *   safety check (AwaitResult's one retry, which polls) and the deadline's own check cover the whole time: the
 *   transitions of a callback job do not grow with its generation time.
 * - Polled providers: the completion is estimated from the provider's ETA, else its progress (an upper bound), else
 *   its queue position (one expected generation per place ahead), else the seed's range. Before the estimate's low
 *   end, one wait up to it; from there to its high end × `nearUntilFactor`, a poll every `nearSeconds` (`near`: made
 *   inside PollStatus); after that, each wait `lateFraction` of the time elapsed, so the number of checks grows with
 *   the log of the generation time. (Progress that did not move between two polls says nothing: providers report it
 *   in coarse steps, 25 % at a time in the simulator, so it stands still for a quarter of the generation.)
 * Every wait is at least `minSeconds`, a polled one at most `maxWaitSeconds`, and none goes beyond the deadline (the
 * last check comes at the deadline).
 */
export function nextCheck(input: ScheduleInput): NextCheck {
  const { elapsedSeconds: elapsed, deadlineSeconds } = input;
  if (elapsed >= deadlineSeconds) return { seconds: 0, near: false, deadlinePassed: true };
  const s = WAIT_SCHEDULE;
  const left = deadlineSeconds - elapsed;
  if (input.callbacks) {
    return { seconds: Math.max(s.minSeconds, Math.min(left, left / 2 + 1)), near: false, deadlinePassed: false };
  }
  const estimate = estimatedCompletion(input);
  let wait: number;
  let near = false;
  if (elapsed < estimate.low - s.nearSeconds) wait = estimate.low - elapsed;
  else if (elapsed < estimate.high * s.nearUntilFactor) {
    wait = s.nearSeconds;
    near = true;
  } else wait = Math.max(s.nearSeconds, elapsed * s.lateFraction);
  const bounded = Math.min(Math.max(wait, s.minSeconds), input.maxWaitSeconds, left);
  return { seconds: bounded, near: near && bounded === wait, deadlinePassed: false };
}

/**
 * Whether a callback job's callback is overdue: `elapsedSeconds` (provider time since submission) has passed the end of
 * the near window (the expected range's high end × `nearUntilFactor`: 135 s for 5 s 720p). The reconciler then polls
 * the provider once per pass (a lost callback's safety net outside the execution, costing no transitions).
 */
export const callbackOverdue = (expected: ExpectedLatency, elapsedSeconds: number): boolean =>
  elapsedSeconds >= expected.high * WAIT_SCHEDULE.nearUntilFactor;

/** When the task is expected to complete (seconds after submission), from the best hint available. */
export function estimatedCompletion(input: Omit<ScheduleInput, 'callbacks' | 'deadlineSeconds' | 'maxWaitSeconds'>): ExpectedLatency {
  const { elapsedSeconds: elapsed, expected } = input;
  if (input.etaSeconds !== undefined && input.etaSeconds >= 0) {
    const at = elapsed + input.etaSeconds;
    return { low: at, high: at + WAIT_SCHEDULE.nearSeconds };
  }
  if (input.progress !== undefined && input.progress > 0 && input.progress < 100) {
    // Progress, linear in time, was reached at or before now: the task completes by elapsed × 100 / progress, and
    // (progress being reported in steps) possibly well before. It narrows the seed's range from above.
    const by = (elapsed * 100) / input.progress;
    const low = Math.min(expected.low, by);
    return { low, high: Math.max(low, Math.min(expected.high, by)) };
  }
  if (input.queuePosition !== undefined && input.queuePosition > 0) {
    const ahead = input.queuePosition * ((expected.low + expected.high) / 2);
    return { low: elapsed + ahead + expected.low, high: elapsed + ahead + expected.high };
  }
  return expected;
}

/** Seconds after submission at which a job with no terminal result is TIMED_OUT, unless its model has its own. */
export const DEFAULT_DEADLINE_SECONDS = 1800;

/** Deadlines per model: a default and per-model overrides (seconds after submission). */
export interface DeadlineSetting {
  defaultSeconds: number;
  byModel: Readonly<Record<string, number>>;
}

/**
 * Parses a deadline setting: `"1800"` (every model) or `"1800,kling-v3=3600,kling-v2-master=2400"` (a default, then
 * per-model seconds; the default may be left out: `"kling-v3=3600"`). Empty or undefined: the default of 1800 s.
 * Throws naming `name` on anything else.
 */
export function parseDeadlineSetting(raw: string | undefined, name: string): DeadlineSetting {
  const setting = { defaultSeconds: DEFAULT_DEADLINE_SECONDS, byModel: {} as Record<string, number> };
  for (const part of (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value] = part.includes('=') ? part.split('=', 2).map((p) => p.trim()) : [undefined, part];
    const seconds = Number(value);
    if (!Number.isInteger(seconds) || seconds < 1 || key === '') {
      throw new Error(`configuration: ${name} must be seconds or model=seconds, comma-separated, got '${raw}'`);
    }
    if (key === undefined) setting.defaultSeconds = seconds;
    else setting.byModel[key] = seconds;
  }
  return setting;
}

/** The deadline (seconds after submission) of a job of `model`. */
export const deadlineOf = (setting: DeadlineSetting, model: string): number => setting.byModel[model] ?? setting.defaultSeconds;
