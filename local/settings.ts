// Local-stack settings from the environment (docs/api.md, "Local stack settings"), with the defaults a new user gets.
import { z } from 'zod';

const Settings = z.object({
  KLINGFLOW_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  KLINGFLOW_DATA_DIR: z.string().min(1).default('.klingflow'),
  KLINGFLOW_API_TOKEN: z.string().min(16, 'KLINGFLOW_API_TOKEN must be at least 16 characters').optional(),
  KLINGFLOW_DEFAULT_PROVIDER: z.string().min(1).default('kling'),
  /** Seconds each AwaitResult round waits for a callback before polling once. */
  KLINGFLOW_AWAIT_SECONDS: z.coerce.number().int().min(1).default(10),
  KLINGFLOW_MAX_POLLS: z.coerce.number().int().min(1).default(60),
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
