// zod schemas of the Kling v3 REST create bodies ("API Parameters Reference" of aiapiplaybook.com's Kling v3 API Python
// tutorial). Unknown fields are refused, so a misspelt field never passes silently.
import { z } from 'zod';

export const KLING_V3_REST_PRODUCTS = ['text2video', 'image2video'] as const;
export type KlingV3RestProduct = (typeof KLING_V3_REST_PRODUCTS)[number];

export const KLING_V3_REST_MODEL_IDS = ['kling-v1', 'kling-v1-5', 'kling-v3'] as const;
/** The one model with 4K and native audio ("v3 required for 4K and native audio"). */
const V3_ONLY_MODEL = 'kling-v3';

const duration = z.number({ error: 'must be an integer number of seconds (5 or 10)' }).refine((value) => value === 5 || value === 10, {
  message: 'must be 5 or 10',
});

/** "See docs for schema": Kling's `{type, config}` with the axes in -10..10 is what this simulator takes. */
const cameraControl = z.strictObject({
  type: z.string().min(1),
  config: z.record(z.string(), z.number().min(-10).max(10)).nullish(),
});

const commonFields = {
  model: z.enum(KLING_V3_REST_MODEL_IDS).default('kling-v3'),
  prompt: z
    .string()
    .max(2500)
    .refine((text) => text.trim().length > 0, { message: 'is required (1-2500 characters)' }),
  negative_prompt: z.string().max(1000).optional(),
  duration: duration.default(5),
  resolution: z.enum(['720p', '1080p', '4k']).default('720p'),
  aspect_ratio: z.enum(['16:9', '9:16', '1:1']).default('16:9'),
  cfg_scale: z.number().min(0).max(1).optional(),
  audio_enabled: z.boolean().default(false),
  camera_control: cameraControl.nullish(),
  character_ref: z.string().min(1).nullish(),
};

interface ModelBound {
  model: string;
  resolution: string;
  audio_enabled: boolean;
}

function checkModelBounds(body: ModelBound, ctx: z.RefinementCtx): void {
  if (body.resolution === '4k' && body.model !== V3_ONLY_MODEL) {
    ctx.addIssue({ code: 'custom', path: ['resolution'], message: `4k is only accepted when model is ${V3_ONLY_MODEL}` });
  }
  if (body.audio_enabled && body.model !== V3_ONLY_MODEL) {
    ctx.addIssue({ code: 'custom', path: ['audio_enabled'], message: `native audio is only available on ${V3_ONLY_MODEL}` });
  }
}

export const text2videoBody = z.strictObject(commonFields).superRefine(checkModelBounds);

export const image2videoBody = z
  .strictObject({ ...commonFields, image_url: z.url({ protocol: /^https$/, error: 'must be a valid HTTPS URL' }) })
  .superRefine(checkModelBounds);

export const KLING_V3_REST_CREATE_SCHEMAS = {
  text2video: text2videoBody,
  image2video: image2videoBody,
} as const satisfies Record<KlingV3RestProduct, z.ZodType>;

export type KlingV3RestCreateBody = z.output<typeof text2videoBody> & { image_url?: string };

/** `camera_control.type`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}
