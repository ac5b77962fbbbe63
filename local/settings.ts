// Local-stack settings from the environment (docs/api.md, "Local stack settings"), with the defaults a new user gets.
import { z } from 'zod';
import { parseSimulatorLimits } from '../simulator/limits.ts';

const Settings = z.object({
  KLINGFLOW_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  KLINGFLOW_DATA_DIR: z.string().min(1).default('.klingflow'),
  KLINGFLOW_API_TOKEN: z.string().min(16, 'KLINGFLOW_API_TOKEN must be at least 16 characters').optional(),
  KLINGFLOW_DEFAULT_PROVIDER: z.string().min(1).default('kling'),
  /** Carried in the execution input; the workflow no longer reads it (each wait is planned: lambdas/jobs/next-check.ts). */
  KLINGFLOW_AWAIT_SECONDS: z.coerce.number().int().min(1).default(10),
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
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
});
export type Settings = z.infer<typeof Settings>;

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = Settings.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid local-stack settings:\n${problems}`);
  }
  return parsed.data;
}
