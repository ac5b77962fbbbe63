// zod schema of the klinggenerator create body, `POST /v1/generate` (klinggenerator.com's "Kling API Documentation",
// "Request Body"): prompt is required; model, duration, resolution and fps are optional.
import { z } from 'zod';

/** The two models and what each allows ("Available Models"). */
export const KLINGGENERATOR_SIM_MODELS = {
  'kling-3': { maxDurationSeconds: 120, resolutions: ['720p', '1080p', '4k'] },
  'kling-2': { maxDurationSeconds: 60, resolutions: ['720p', '1080p'] },
} as const;
type ModelName = keyof typeof KLINGGENERATOR_SIM_MODELS;

const MODEL_NAMES = Object.keys(KLINGGENERATOR_SIM_MODELS) as [ModelName, ...ModelName[]];

/** The documented default model. */
export const DEFAULT_MODEL: ModelName = 'kling-3';

/** Unknown fields are refused, so a client sending something the API does not take finds out. */
export const generateBody = z
  .strictObject({
    prompt: z.string().trim().min(1, 'must not be empty'),
    model: z.enum(MODEL_NAMES).default(DEFAULT_MODEL),
    duration: z.number().int('must be a whole number of seconds').min(5).max(120).optional(),
    resolution: z.enum(['720p', '1080p', '4k']).optional(),
    fps: z.union([z.literal(24), z.literal(30), z.literal(60)], { error: 'must be 24, 30 or 60' }).optional(),
  })
  .superRefine((body, ctx) => {
    const limits = KLINGGENERATOR_SIM_MODELS[body.model];
    if (body.duration !== undefined && body.duration > limits.maxDurationSeconds) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: `${body.model} makes at most ${limits.maxDurationSeconds} seconds` });
    }
    if (body.resolution !== undefined && !(limits.resolutions as readonly string[]).includes(body.resolution)) {
      ctx.addIssue({ code: 'custom', path: ['resolution'], message: `${body.model} renders at most ${limits.resolutions.at(-1)}` });
    }
  });
export type GenerateBody = z.infer<typeof generateBody>;

/** `a.b[0]`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
}
