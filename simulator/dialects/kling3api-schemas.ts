// zod schemas of the kling3api requests (kling3api.com's "Kling 3.0 API Documentation", "Request Body" and the
// examples), and the per-type rules that pick the document's error codes (INVALID_TYPE, INVALID_PROMPT,
// INVALID_DURATION, MISSING_IMAGE, MISSING_VIDEO). The end frame, negative prompt and prompt adherence have no printed
// names; the simulator takes `end_image`, `negative_prompt` and `cfg_scale`.
import { z } from 'zod';
import type { Kling3apiErrorCode } from './kling3api-errors.ts';

export const KLING_V3_TYPES = ['pro-text-to-video', 'pro-image-to-video', 'std-text-to-video', 'std-image-to-video'] as const;
export const O3_TYPES = [
  'o3-pro-text-to-video',
  'o3-pro-image-to-video',
  'o3-pro-reference-to-video',
  'o3-pro-video-edit',
  'o3-std-text-to-video',
  'o3-std-image-to-video',
  'o3-std-reference-to-video',
  'o3-std-video-edit',
] as const;
export const TASK_TYPES = [...KLING_V3_TYPES, ...O3_TYPES] as const;
export type TaskType = (typeof TASK_TYPES)[number];

const MAX_PROMPT_CHARS = 2000;
const MAX_REFERENCE_IMAGES = 7;
const httpUrl = z.url({ protocol: /^https?$/ });

export const GenerateBody = z.strictObject({
  type: z.enum(TASK_TYPES),
  prompt: z.string().trim().min(1).max(MAX_PROMPT_CHARS),
  duration: z.number().int().min(3).max(15).optional(),
  aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
  image: httpUrl.optional(),
  end_image: httpUrl.optional(),
  video: httpUrl.optional(),
  images: z.array(httpUrl).min(1).optional(),
  sound: z.boolean().optional(),
  negative_prompt: z.string().max(2500).optional(),
  cfg_scale: z.number().min(0).max(1).optional(),
  keep_original_sound: z.boolean().optional(),
});
export type GenerateBody = z.infer<typeof GenerateBody>;

export const StatusQuery = z.object({ task_id: z.string().trim().min(1) });

export interface RequestProblem {
  code: Kling3apiErrorCode;
  message: string;
}

/** The code of a schema failure: a bad type, prompt or duration has its own code; anything else is generic. */
export function problemOfIssues(issues: readonly z.core.$ZodIssue[]): RequestProblem {
  const field = (issue: z.core.$ZodIssue) => String(issue.path[0] ?? '');
  const first = (name: string) => issues.find((issue) => field(issue) === name);
  const typeIssue = first('type');
  if (typeIssue) return { code: 'INVALID_TYPE', message: `Unsupported task type; supported: ${TASK_TYPES.join(', ')}` };
  const promptIssue = first('prompt');
  if (promptIssue) return { code: 'INVALID_PROMPT', message: `The prompt is invalid or empty (at most ${MAX_PROMPT_CHARS} characters)` };
  if (first('duration')) return { code: 'INVALID_DURATION', message: 'Duration out of supported range (3-15 seconds)' };
  const issue = issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  return { code: 'INVALID_REQUEST', message: `Invalid parameter ${where}: ${issue?.message ?? 'invalid'}` };
}

export const isO3Type = (type: TaskType): boolean => type.startsWith('o3-');
const modeOfType = (type: TaskType): string => type.replace(/^(o3-)?(pro|std)-/, '');

/** What the document says each type needs and takes, beyond the field types. */
export function problemOfTypeRules(body: GenerateBody): RequestProblem | null {
  const mode = modeOfType(body.type);
  const refuse = (message: string): RequestProblem => ({ code: 'INVALID_REQUEST', message });
  if (mode === 'image-to-video' && !body.image) return { code: 'MISSING_IMAGE', message: 'Image is required for image-to-video tasks' };
  if (mode === 'video-edit' && !body.video) return { code: 'MISSING_VIDEO', message: 'Video is required for video-edit tasks' };
  if (mode === 'reference-to-video' && !body.images && !body.video) {
    return { code: 'MISSING_IMAGE', message: 'Reference images (or a reference video) are required for reference-to-video tasks' };
  }
  if (body.image && mode !== 'image-to-video') return refuse('image is for image-to-video tasks');
  if (body.end_image && mode !== 'image-to-video') return refuse('end_image is for image-to-video tasks only');
  if (body.images && mode !== 'reference-to-video') return refuse('images is for O3 reference-to-video tasks');
  if (body.images && body.images.length > MAX_REFERENCE_IMAGES) return refuse(`images takes at most ${MAX_REFERENCE_IMAGES} URLs`);
  if (body.video && mode !== 'reference-to-video' && mode !== 'video-edit')
    return refuse('video is for reference-to-video or video-edit tasks');
  if (body.keep_original_sound !== undefined && mode !== 'video-edit') return refuse('keep_original_sound is for video-edit tasks');
  if (body.cfg_scale !== undefined && isO3Type(body.type)) return refuse('cfg_scale is Kling 3.0 only');
  return null;
}
