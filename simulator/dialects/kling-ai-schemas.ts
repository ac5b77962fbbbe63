// The create body of `POST /v1/video/generate` in the `kling-ai` dialect (the "Kling AI API Guide: Pricing, Setup, and
// Integration (2026)" article): documented fields `model`, `prompt`, `duration` (integer seconds), `resolution`,
// `audio`, `voice_description`, `image_url`. The document names Motion Control's end frame, Omni Edit and O3 multi-shot
// without their fields; the simulator takes them as `end_image_url`, `video_url` and `shots: [{prompt, duration}]`.
// Unknown fields are refused, so a misspelt field is an error rather than silently ignored.
import { z } from 'zod';

export const KLING_AI_MODEL_IDS = ['kling-v3', 'kling-o3', 'kling-motion-control', 'kling-image'] as const;
export type KlingAiModelId = (typeof KLING_AI_MODEL_IDS)[number];

interface VideoModelRules {
  durations: readonly number[];
  audio: boolean;
  shots: boolean;
  videoEdit: boolean;
  endImage: boolean;
  needsImage: boolean;
}

/** What each video model accepts. `kling-image` is not here: it makes images, not videos. */
export const VIDEO_MODEL_RULES: Readonly<Record<Exclude<KlingAiModelId, 'kling-image'>, VideoModelRules>> = {
  'kling-v3': { durations: [5, 10], audio: false, shots: false, videoEdit: false, endImage: false, needsImage: false },
  'kling-o3': { durations: [5, 10, 15], audio: true, shots: true, videoEdit: true, endImage: false, needsImage: false },
  'kling-motion-control': { durations: [5, 10], audio: false, shots: false, videoEdit: false, endImage: true, needsImage: true },
};

export const DEFAULT_DURATION_SECONDS = 5;
export const DEFAULT_RESOLUTION = '1080p';

const publicUrl = z.url({ protocol: /^https?$/, error: 'must be a publicly accessible http(s) URL' });

const shot = z.strictObject({
  prompt: z.string().trim().min(1).max(512),
  duration: z.number().int().positive(),
});

export const createVideoBody = z
  .strictObject({
    model: z.enum(KLING_AI_MODEL_IDS),
    prompt: z.string().trim().min(1).max(2500).optional(),
    duration: z.number().int().positive().optional(),
    resolution: z.enum(['720p', '1080p']).optional(),
    audio: z.boolean().optional(),
    voice_description: z.string().trim().min(1).max(500).optional(),
    image_url: publicUrl.optional(),
    end_image_url: publicUrl.optional(),
    video_url: publicUrl.optional(),
    shots: z.array(shot).min(1).max(6).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (body.model === 'kling-image') {
      problem('model', 'kling-image generates images; /video/generate takes kling-v3, kling-o3 or kling-motion-control');
      return;
    }
    const rules = VIDEO_MODEL_RULES[body.model];
    const duration = body.duration ?? DEFAULT_DURATION_SECONDS;
    if (!rules.durations.includes(duration)) problem('duration', `must be one of ${rules.durations.join(', ')} for ${body.model}`);
    if (!rules.audio && body.audio !== undefined) problem('audio', `is only supported by kling-o3`);
    if (!rules.audio && body.voice_description !== undefined) problem('voice_description', 'is only supported by kling-o3');
    if (body.voice_description !== undefined && body.audio !== true) problem('voice_description', 'needs "audio": true');
    if (!rules.endImage && body.end_image_url !== undefined) problem('end_image_url', 'is only supported by kling-motion-control');
    if (rules.needsImage && body.image_url === undefined) problem('image_url', `is required for ${body.model}`);
    if (!rules.videoEdit && body.video_url !== undefined) problem('video_url', 'is only supported by kling-o3 (Omni Edit)');
    if (body.video_url !== undefined && body.prompt === undefined) problem('prompt', 'is required for an Omni Edit');
    if (body.shots !== undefined) {
      if (!rules.shots) problem('shots', 'multi-shot is only supported by kling-o3');
      if (body.video_url !== undefined) problem('shots', 'cannot be combined with video_url');
      const total = body.shots.reduce((sum, item) => sum + item.duration, 0);
      if (total !== duration) problem('shots', `shot durations add up to ${total}, not duration ${duration}`);
    }
    if (body.prompt === undefined && body.image_url === undefined && body.shots === undefined) {
      problem('prompt', 'is required without image_url or shots');
    }
  });

export type CreateVideoBody = z.infer<typeof createVideoBody>;

/** `shots[0].prompt`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
}

/** The text fault directives are read from: the prompt, else the first shot's. */
export function directiveText(body: CreateVideoBody): string | null {
  return body.prompt ?? body.shots?.[0]?.prompt ?? null;
}
