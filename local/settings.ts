// Local-stack settings from the environment (docs/api.md, "Local stack settings"), with the defaults a new user gets.
import { z } from 'zod';
import { parseSpendCaps, SpendCapsInvalid } from '../lambdas/domain/spend.ts';
import { parseSimulatorLimits } from '../simulator/limits.ts';

/** The name of the main token (`KLINGFLOW_API_TOKEN`, or the generated one): the owner of its jobs. */
export const MAIN_TOKEN_NAME = 'local';

const TOKEN_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * `KLINGFLOW_API_TOKENS`: `name:token` pairs, comma-separated. Throws naming the entry that is not one, a name used
 * twice (or the main token's name), or a token shorter than 16 characters.
 */
export function parseApiTokens(text: string): { name: string; token: string }[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const seen = new Set<string>([MAIN_TOKEN_NAME]);
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    const token = colon > 0 ? entry.slice(colon + 1) : '';
    const at = `KLINGFLOW_API_TOKENS entry ${i + 1}`;
    if (!TOKEN_NAME.test(name)) throw new Error(`${at}: expected name:token with a name of 1-64 of [A-Za-z0-9_.@-]`);
    if (seen.has(name)) throw new Error(`${at}: the name '${name}' is taken (by the main token or an earlier entry)`);
    if (token.length < 16) throw new Error(`${at}: the token of '${name}' must be at least 16 characters`);
    seen.add(name);
    return { name, token };
  });
}

const Settings = z.object({
  KLINGFLOW_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  KLINGFLOW_DATA_DIR: z.string().min(1).default('.klingflow'),
  KLINGFLOW_API_TOKEN: z.string().min(16, 'KLINGFLOW_API_TOKEN must be at least 16 characters').optional(),
  /**
   * More callers, each with a token of its own: `name:token,name:token` (names 1–64 of [A-Za-z0-9_.@-], tokens at
   * least 16 characters). Each name owns the jobs its token creates.
   */
  KLINGFLOW_API_TOKENS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return [];
      try {
        return parseApiTokens(text);
      } catch (error) {
        // The reader names the variable itself: the detail alone.
        ctx.addIssue({ code: 'custom', message: error instanceof SpendCapsInvalid ? error.detail : (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Names of the tokens that see every caller's jobs (comma-separated); default `local`, the main token's name. */
  KLINGFLOW_API_ADMINS: z
    .string()
    .default(MAIN_TOKEN_NAME)
    .transform((text) =>
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  /**
   * Spend caps, JSON (docs/api.md, "Spend caps"): `{"daily": {"total": {"usd": 5}, "kling": {"jobs": 20}}}`. Unset: no
   * caps.
   */
  KLINGFLOW_SPEND_CAPS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        return parseSpendCaps(text, 'KLINGFLOW_SPEND_CAPS');
      } catch (error) {
        // The reader names the variable itself: the detail alone.
        ctx.addIssue({ code: 'custom', message: error instanceof SpendCapsInvalid ? error.detail : (error as Error).message });
        return z.NEVER;
      }
    }),
  KLINGFLOW_DEFAULT_PROVIDER: z.string().min(1).default('kling'),
  KLINGFLOW_MAX_POLLS: z.coerce.number().int().min(1).default(60),
  /** Seconds (provider time) after submission before a job is TIMED_OUT: `1800`, or per model `1800,kling-v3=3600`. */
  KLINGFLOW_DEADLINE_SECONDS: z.string().default('1800'),
  /**
   * Workflow seconds per second of provider time in the wait schedule: the simulator generates in seconds what a
   * provider takes minutes for, so the local stack plans its waits at 1/30 of the seed's latencies by default.
   */
  KLINGFLOW_WAIT_TIME_SCALE: z.coerce
    .number()
    .positive()
    .default(1 / 30),
  /** How long the built-in simulator takes to "generate" a video. */
  KLINGFLOW_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).default(4000),
  /**
   * How the front door authenticates: `bearer` (the token) or `sigv4` (AWS Signature Version 4 with the fixed local
   * test credentials of local/sigv4.ts, as a deployment with auth=iam checks it).
   */
  KLINGFLOW_API_AUTH: z.enum(['bearer', 'sigv4']).default('bearer'),
  /** Browser origins allowed by CORS besides the stack's own (comma-separated; `*` for any). */
  KLINGFLOW_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  POWERTOOLS_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('WARN'),
  /** Seconds between runs of the reconciler after the one at start (0: only at start). */
  KLINGFLOW_RECONCILE_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Seconds the timed reconciler leaves a job alone after its last change (the run at start leaves none). */
  KLINGFLOW_RECONCILE_GRACE_SECONDS: z.coerce.number().int().min(0).default(600),
  /** Admission control: seconds a queued job waits to be woken before it checks the queue again. */
  KLINGFLOW_SLOT_WAIT_SECONDS: z.coerce.number().int().min(1).default(30),
  /** Seconds a held slot's lease lasts between renewals (a dead execution frees its slot after this long). */
  KLINGFLOW_SLOT_LEASE_SECONDS: z.coerce.number().int().min(1).default(600),
  /** Seconds a job may wait for a slot before it fails with QUEUE_TIMEOUT. */
  KLINGFLOW_MAX_QUEUE_SECONDS: z.coerce.number().int().min(1).default(21_600),
  /**
   * How many times the local S3 delivers each upload's event to the trigger. S3 delivers events at least once; 2
   * rehearses a repeated delivery (it must make one job).
   */
  KLINGFLOW_S3_EVENT_DELIVERIES: z.coerce.number().int().min(1).max(5).default(1),
  /**
   * The built-in simulator's account limits per provider id, as JSON (simulator/README.md, "Account limits"), e.g.
   * `{"kling": {"maxConcurrent": 3}}`.
   */
  KLINGFLOW_SIMULATOR_LIMITS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        return parseSimulatorLimits(text);
      } catch (error) {
        // The reader names the variable itself: the detail alone.
        ctx.addIssue({ code: 'custom', message: error instanceof SpendCapsInvalid ? error.detail : (error as Error).message });
        return z.NEVER;
      }
    }),
});
export type Settings = z.infer<typeof Settings>;

/**
 * What a setting's issue says. A number setting given text (`KLINGFLOW_PORT=abc`) reads as zod's coercion saw it
 * ("expected number, received NaN"); it is told what it was given instead.
 */
function settingProblem(issue: z.core.$ZodIssue, env: NodeJS.ProcessEnv): string {
  const name = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.expected === 'number') return `${name}: expected a number, got '${env[name]}'`;
  return `${name}: ${issue.message}`;
}

/** The local stack's settings from `env`, defaults filled in. Throws one error listing every setting that is wrong. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = Settings.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${settingProblem(i, env)}`).join('\n');
    throw new Error(`invalid local-stack settings:\n${problems}`);
  }
  return parsed.data;
}
