// The Kling endpoints the fal dialect serves and the zod schema of each one's input, written from fal's endpoint
// catalog (the endpoint input types fal ships in its JavaScript client, @fal-ai/client, `src/types/endpoints.d.ts`)
// and, for the endpoints the catalog lacks (v2.1 pro image-to-video, the 4K tiers), fal's model pages. Every field the
// catalog lists is accepted, with its enums and requiredness (test/simulator/fal-catalog.test.ts holds each schema to
// the installed catalog). Bodies are parsed strictly: fal itself ignores unknown fields, but a field name the endpoint
// does not know is almost always a client bug, and the simulator exists to catch those.
import { z } from 'zod';

const fiveOrTen = z.enum(['5', '10'], { error: 'must be the string "5" or "10"' });
const threeToFifteen = z.enum(['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'], {
  error: 'must be a string of whole seconds from "3" to "15"',
});
const aspectRatio = z.enum(['16:9', '9:16', '1:1']);
const prompt = z.string().min(1).max(2500);
const fileInput = z
  .string()
  .min(1)
  .refine((value) => /^(https?:\/\/|data:[\w.+-]+\/[\w.+-]+;base64,)/i.test(value), 'must be an http(s) URL or a base64 data URI');
const cfgScale = z.number().min(0).max(1);
/** `KlingV3MultiPromptElement.duration`: each shot "1" to "15" seconds. */
const oneToFifteen = z.enum(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'], {
  error: 'must be a string of whole seconds from "1" to "15"',
});
const shot = z.strictObject({ prompt: prompt.max(512), duration: oneToFifteen.optional() });
const shotType = z.enum(['customize', 'intelligent']);
const shotFields = {
  multi_prompt: z.array(shot).min(1).max(6).nullish(),
  shot_type: shotType.optional(),
};
/** `DynamicMask` (motion brush): a mask image and the trajectory of `TrackPoint`s to move it along. */
const dynamicMask = z.strictObject({
  mask_url: fileInput,
  trajectories: z.array(z.strictObject({ x: z.number(), y: z.number() })).optional(),
});
const masks = { dynamic_masks: z.array(dynamicMask).optional(), static_mask_url: fileInput.optional() };
/** `ElementInput` / `KlingV3ImageElementInput`: a character or object given by images. */
const imageElement = z.strictObject({ frontal_image_url: fileInput.optional(), reference_image_urls: z.array(fileInput).optional() });
/** `KlingV3ComboElementInput`: images, or a video with a bound voice. */
const comboElement = imageElement.extend({ video_url: fileInput.optional(), voice_id: z.string().min(1).optional() });

/** fal: "Either prompt or multi_prompt must be provided, but not both"; shots must fill the video. */
function promptOrShots(
  body: { prompt?: string; multi_prompt?: { duration?: string }[] | null; duration?: string },
  ctx: z.RefinementCtx,
): void {
  const shots = body.multi_prompt ?? [];
  if (body.prompt !== undefined && shots.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['multi_prompt'], message: 'give prompt or multi_prompt, not both' });
  }
  if (body.prompt === undefined && shots.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'prompt or multi_prompt is required' });
  }
  if (shots.length > 0) {
    const total = shots.reduce((sum, item) => sum + Number(item.duration ?? '5'), 0);
    const expected = Number(body.duration ?? '5');
    if (total !== expected) {
      ctx.addIssue({ code: 'custom', path: ['multi_prompt'], message: `shot durations add up to ${total}, duration is ${expected}` });
    }
  }
}

const classicT2V = z.strictObject({
  prompt,
  aspect_ratio: aspectRatio.optional(),
  duration: fiveOrTen.optional(),
  negative_prompt: z.string().optional(),
  cfg_scale: cfgScale.optional(),
});
const v1T2V = classicT2V.extend({
  camera_control: z.enum(['down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']).optional(),
  advanced_camera_control: z
    .strictObject({
      movement_type: z.enum(['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom']),
      movement_value: z.number().min(-10).max(10),
    })
    .optional(),
});
const classicI2V = z.strictObject({
  prompt,
  image_url: fileInput,
  duration: fiveOrTen.optional(),
  negative_prompt: z.string().optional(),
  cfg_scale: cfgScale.optional(),
});
const classicI2VTail = classicI2V.extend({ tail_image_url: fileInput.optional() });
/** `KlingVideoV1StandardImageToVideoInput`: a tail frame and motion-brush masks. */
const v1I2V = classicI2VTail.extend(masks);
/** `KlingVideoV16ProImageToVideoInput`: a tail frame and an aspect ratio. */
const v16ProI2V = classicI2VTail.extend({ aspect_ratio: aspectRatio.optional() });
/** `KlingVideoV15ProImageToVideoInput`: the v1.6 pro input plus masks. */
const v15ProI2V = v16ProI2V.extend(masks);
const elements = z.strictObject({
  prompt,
  input_image_urls: z.array(fileInput).min(1).max(4),
  aspect_ratio: aspectRatio.optional(),
  duration: fiveOrTen.optional(),
  negative_prompt: z.string().optional(),
});
const v26T2V = classicT2V.extend({ generate_audio: z.boolean().optional() });
const v26I2V = z.strictObject({
  prompt,
  start_image_url: fileInput,
  end_image_url: fileInput.optional(),
  duration: fiveOrTen.optional(),
  negative_prompt: z.string().optional(),
  generate_audio: z.boolean().optional(),
  voice_ids: z.array(z.string().min(1)).max(2).optional(),
});
const v3T2V = z
  .strictObject({
    prompt: prompt.optional(),
    ...shotFields,
    aspect_ratio: aspectRatio.optional(),
    duration: threeToFifteen.optional(),
    negative_prompt: z.string().optional(),
    cfg_scale: cfgScale.optional(),
    generate_audio: z.boolean().optional(),
  })
  .superRefine(promptOrShots);
const v3I2V = z
  .strictObject({
    start_image_url: fileInput,
    end_image_url: fileInput.optional(),
    prompt: prompt.optional(),
    ...shotFields,
    duration: threeToFifteen.optional(),
    negative_prompt: z.string().optional(),
    cfg_scale: cfgScale.optional(),
    generate_audio: z.boolean().optional(),
    elements: z.array(comboElement).optional(),
  })
  .superRefine(promptOrShots);
const o3T2V = z
  .strictObject({
    prompt: prompt.optional(),
    ...shotFields,
    aspect_ratio: aspectRatio.optional(),
    duration: threeToFifteen.optional(),
    generate_audio: z.boolean().optional(),
  })
  .superRefine(promptOrShots);
const o3I2V = z
  .strictObject({
    image_url: fileInput,
    end_image_url: fileInput.optional(),
    prompt: prompt.optional(),
    ...shotFields,
    duration: threeToFifteen.optional(),
    generate_audio: z.boolean().optional(),
  })
  .superRefine(promptOrShots);
const o3R2V = z
  .strictObject({
    prompt: prompt.optional(),
    ...shotFields,
    image_urls: z.array(fileInput).min(1).max(7).optional(),
    elements: z.array(comboElement).optional(),
    start_image_url: fileInput.optional(),
    end_image_url: fileInput.optional(),
    aspect_ratio: aspectRatio.optional(),
    duration: threeToFifteen.optional(),
    generate_audio: z.boolean().optional(),
  })
  .superRefine(promptOrShots);
const o3Edit = z
  .strictObject({
    prompt,
    video_url: fileInput,
    image_urls: z.array(fileInput).max(4).optional(),
    elements: z.array(imageElement).optional(),
    keep_audio: z.boolean().optional(),
    shot_type: shotType.optional(),
  })
  .superRefine((body, ctx) => {
    // "Maximum 4 total (elements + reference images) when using video."
    if ((body.image_urls?.length ?? 0) + (body.elements?.length ?? 0) > 4) {
      ctx.addIssue({ code: 'custom', path: ['image_urls'], message: 'at most 4 elements and reference images in total' });
    }
  });

type InputSchema = z.ZodType<Record<string, unknown>>;

function endpoints(version: string, tiers: string[], tasks: Record<string, InputSchema>): [string, InputSchema][] {
  return tiers.flatMap((tier) =>
    Object.entries(tasks).map(([task, schema]): [string, InputSchema] => [`fal-ai/kling-video/${version}/${tier}/${task}`, schema]),
  );
}

/** Every endpoint id served, with its input schema. */
export const FAL_ENDPOINT_SCHEMAS: ReadonlyMap<string, InputSchema> = new Map([
  ...endpoints('v1', ['standard'], { 'text-to-video': v1T2V, 'image-to-video': v1I2V }),
  ...endpoints('v1.5', ['pro'], { 'text-to-video': classicT2V, 'image-to-video': v15ProI2V }),
  ...endpoints('v1.6', ['standard'], { 'text-to-video': classicT2V, 'image-to-video': classicI2V, elements }),
  ...endpoints('v1.6', ['pro'], { 'text-to-video': classicT2V, 'image-to-video': v16ProI2V, elements }),
  ...endpoints('v2', ['master'], { 'text-to-video': classicT2V, 'image-to-video': classicI2V }),
  ...endpoints('v2.1', ['master'], { 'text-to-video': classicT2V, 'image-to-video': classicI2V }),
  ...endpoints('v2.1', ['standard'], { 'image-to-video': classicI2V }),
  ...endpoints('v2.1', ['pro'], { 'image-to-video': classicI2VTail }),
  ...endpoints('v2.5-turbo', ['pro'], { 'text-to-video': classicT2V, 'image-to-video': classicI2VTail }),
  ...endpoints('v2.5-turbo', ['standard'], { 'image-to-video': classicI2V }),
  ...endpoints('v2.6', ['pro'], { 'text-to-video': v26T2V, 'image-to-video': v26I2V }),
  ...endpoints('v3', ['standard', 'pro', '4k'], { 'text-to-video': v3T2V, 'image-to-video': v3I2V }),
  ...endpoints('o3', ['standard', 'pro'], { 'video-to-video/edit': o3Edit }),
  ...endpoints('o3', ['standard', 'pro', '4k'], { 'text-to-video': o3T2V, 'image-to-video': o3I2V, 'reference-to-video': o3R2V }),
]);

/** The text fault directives are read from: the prompt, else the first shot's. */
export function directiveText(body: Record<string, unknown>): string | null {
  if (typeof body.prompt === 'string') return body.prompt;
  const shots = body.multi_prompt;
  if (Array.isArray(shots) && typeof (shots[0] as { prompt?: unknown } | undefined)?.prompt === 'string') {
    return (shots[0] as { prompt: string }).prompt;
  }
  return null;
}
