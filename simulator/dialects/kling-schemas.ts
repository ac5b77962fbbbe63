// zod schemas of the Kling legacy create bodies (Kling API reference, "Text to Video", "Image to Video" and
// "Multi-Image to Video").
import { z } from 'zod';

export const KLING_PRODUCTS = ['text2video', 'image2video', 'multi-image2video'] as const;
export type KlingProduct = (typeof KLING_PRODUCTS)[number];

const TEXT2VIDEO_MODELS = [
  'kling-v1',
  'kling-v1-6',
  'kling-v2-master',
  'kling-v2-1-master',
  'kling-v2-5-turbo',
  'kling-v2-6',
  'kling-v3',
] as const;
const IMAGE2VIDEO_MODELS = [...TEXT2VIDEO_MODELS, 'kling-v1-5', 'kling-v2-1'] as const;
const DURATIONS = ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'] as const;

const durationField = (values: readonly [string, ...string[]]) =>
  z.enum(values, {
    error: (issue) =>
      typeof issue.input === 'string'
        ? `must be one of ${values.map((v) => `"${v}"`).join(', ')}`
        : `must be a string such as "5", not ${typeof issue.input}`,
  });

const promptText = z.string().max(2500);
const mediaInput = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('data:'), 'must be a URL or raw Base64 without a "data:" prefix');

const shot = z.object({
  index: z.number().int().min(0),
  prompt: z.string().min(1).max(512),
  duration: z.string().regex(/^[1-9]\d*$/, 'must be a string of whole seconds ≥ 1'),
});

const cameraConfig = z.object({
  horizontal: z.number().min(-10).max(10).optional(),
  vertical: z.number().min(-10).max(10).optional(),
  pan: z.number().min(-10).max(10).optional(),
  tilt: z.number().min(-10).max(10).optional(),
  roll: z.number().min(-10).max(10).optional(),
  zoom: z.number().min(-10).max(10).optional(),
});

const cameraControl = z
  .object({
    type: z.enum(['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']),
    config: cameraConfig.nullish(),
  })
  .superRefine((camera, ctx) => {
    const nonZero = Object.values(camera.config ?? {}).filter((value) => value !== undefined && value !== 0);
    if (camera.type === 'simple' && nonZero.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: 'simple needs exactly one non-zero parameter' });
    }
    if (camera.type !== 'simple' && camera.config) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: `must be None when type is ${camera.type}` });
    }
  });

const commonFields = {
  /** Old field, still accepted by Kling (behaves like an empty model_name). */
  model: z.string().optional(),
  negative_prompt: promptText.optional(),
  cfg_scale: z.number().min(0).max(1).optional(),
  mode: z.enum(['std', 'pro', '4k']).optional(),
  watermark_info: z.object({ enabled: z.boolean() }).optional(),
  callback_url: z.url({ protocol: /^https?$/ }).optional(),
  external_task_id: z.string().min(1).max(256).optional(),
};

const shotFields = {
  multi_shot: z.boolean().optional(),
  shot_type: z.enum(['customize', 'intelligence']).optional(),
  prompt: promptText.optional(),
  multi_prompt: z.array(shot).min(1).max(6).optional(),
  sound: z.enum(['on', 'off']).optional(),
  camera_control: cameraControl.optional(),
  duration: durationField(DURATIONS).optional(),
};

interface ShotBody {
  multi_shot?: boolean;
  shot_type?: 'customize' | 'intelligence';
  prompt?: string;
  multi_prompt?: { prompt: string; duration: string }[];
  duration?: string;
}

function checkShots(body: ShotBody, ctx: z.RefinementCtx, promptRequired: boolean): void {
  if (!body.multi_shot) {
    if (promptRequired && !body.prompt?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'must not be empty when multi_shot is false' });
    }
    return;
  }
  if (!body.shot_type) {
    ctx.addIssue({ code: 'custom', path: ['shot_type'], message: 'is required when multi_shot is true' });
  } else if (body.shot_type === 'intelligence' && !body.prompt?.trim()) {
    ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'must not be empty when shot_type is intelligence' });
  } else if (body.shot_type === 'customize') {
    if (!body.multi_prompt) {
      ctx.addIssue({ code: 'custom', path: ['multi_prompt'], message: 'is required when shot_type is customize' });
      return;
    }
    const total = body.multi_prompt.reduce((sum, item) => sum + Number(item.duration), 0);
    if (total !== Number(body.duration ?? '5')) {
      ctx.addIssue({ code: 'custom', path: ['multi_prompt'], message: `shot durations sum to ${total}, not duration` });
    }
  }
}

export const text2videoBody = z
  .object({
    model_name: z.enum(TEXT2VIDEO_MODELS).optional(),
    ...shotFields,
    aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
    ...commonFields,
  })
  .superRefine((body, ctx) => checkShots(body, ctx, true));

export const image2videoBody = z
  .object({
    model_name: z.enum(IMAGE2VIDEO_MODELS).optional(),
    image: mediaInput.optional(),
    image_tail: mediaInput.optional(),
    static_mask: mediaInput.optional(),
    dynamic_masks: z
      .array(
        z.object({
          mask: mediaInput,
          trajectories: z
            .array(z.object({ x: z.number().int(), y: z.number().int() }))
            .min(2)
            .max(77),
        }),
      )
      .max(6)
      .optional(),
    element_list: z
      .array(z.object({ element_id: z.number().int() }))
      .max(3)
      .optional(),
    voice_list: z
      .array(z.object({ voice_id: z.string().min(1) }))
      .max(2)
      .optional(),
    ...shotFields,
    ...commonFields,
  })
  .superRefine((body, ctx) => {
    if (!body.image && !body.image_tail) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: 'at least one of image or image_tail must be provided' });
    }
    const exclusive = [body.image_tail, body.static_mask ?? body.dynamic_masks, body.camera_control].filter(Boolean);
    if (exclusive.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['image_tail'],
        message: 'image_tail, dynamic_masks/static_mask and camera_control are mutually exclusive',
      });
    }
    if (body.element_list && body.voice_list) {
      ctx.addIssue({ code: 'custom', path: ['voice_list'], message: 'element_list and voice_list are mutually exclusive' });
    }
    checkShots(body, ctx, false);
  });

export const multiImage2videoBody = z.object({
  ...commonFields,
  model_name: z.enum(['kling-v1-6']).optional(),
  image_list: z
    .array(z.object({ image: mediaInput }))
    .min(1)
    .max(4),
  prompt: promptText.min(1),
  mode: z.enum(['std', 'pro']).optional(),
  duration: durationField(['5', '10']).optional(),
  aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
});

export const CREATE_BODY_SCHEMAS = {
  text2video: text2videoBody,
  image2video: image2videoBody,
  'multi-image2video': multiImage2videoBody,
} as const satisfies Record<KlingProduct, z.ZodType>;

export const listQuery = z.object({
  pageNum: z.coerce.number().int().min(1).max(1000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(30),
});

/** `multi_prompt[0].prompt`-style path of a zod issue. */
export function describeIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    return text ? `${text}.${String(part)}` : String(part);
  }, '');
}

/** The text fault directives are read from: `prompt`, else the first shot of `multi_prompt`. */
export function directivePrompt(body: { prompt?: string; multi_prompt?: { prompt: string }[] }): string | null {
  if (body.prompt?.trim()) return body.prompt;
  return body.multi_prompt?.find((item) => item.prompt.trim())?.prompt ?? null;
}
