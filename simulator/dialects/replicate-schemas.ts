// zod schemas of Replicate's create body (Replicate HTTP API reference, "Create a prediction using an official model")
// and of the inputs of the two Kling models, from their API pages on replicate.com (kwaivgi/kling-v2.1 and
// kwaivgi/kling-v2.5-turbo-pro). Inputs are strict so a misspelt field is refused with 422 instead of being ignored.
// Where those pages are silent the simulator assumes what the adapter assumes: durations 5 or 10, Kling's three aspect
// ratios, and a required prompt (the model pages mark it so).
import { z } from 'zod';

export const WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** "By default, we will send requests to your webhook URL whenever there are new outputs or the prediction has finished." */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['output', 'completed'];

export const predictionCreateBody = z.object({
  input: z.record(z.string(), z.unknown()),
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  webhook_events_filter: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
  /** Deprecated (Replicate HTTP API reference), still accepted. */
  stream: z.boolean().optional(),
});

/** An input file: an HTTP(S) URL or a base64 data URL (Replicate HTTP API reference, file inputs). */
const fileInput = z
  .string()
  .refine((value) => /^https?:\/\/\S+$/i.test(value) || /^data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/]+={0,2}$/.test(value), {
    message: 'must be an http(s) URL or a base64 data URL',
  });

const duration = z.union([z.literal(5), z.literal(10)], { error: 'must be the integer 5 or 10' }).default(5);
const prompt = z.string().trim().min(1, 'is required');

const klingV21Input = z
  .strictObject({
    prompt,
    negative_prompt: z.string().optional(),
    start_image: fileInput,
    end_image: fileInput.optional(),
    mode: z.enum(['standard', 'pro']).default('standard'),
    duration,
  })
  .superRefine((input, ctx) => {
    if (input.end_image !== undefined && input.mode !== 'pro') {
      ctx.addIssue({ code: 'custom', path: ['end_image'], message: 'needs mode "pro"' });
    }
  });

const klingV25TurboProInput = z.strictObject({
  prompt,
  negative_prompt: z.string().optional(),
  start_image: fileInput.optional(),
  end_image: fileInput.optional(),
  /** Ignored when start_image is given. */
  aspect_ratio: z.enum(['16:9', '9:16', '1:1']).default('16:9'),
  duration,
  /** Deprecated alias of start_image. */
  image: fileInput.optional(),
});

/**
 * The versioned body (`POST /v1/predictions`, Replicate HTTP API reference, "Create a prediction"): the version id
 * instead of the model in the path.
 */
export const versionedCreateBody = predictionCreateBody.extend({ version: z.string().min(1) });

/**
 * The version ids of the models (the version pages of kwaivgi/kling-v2.1 and kwaivgi/kling-v2.5-turbo-pro on
 * replicate.com): what `replicate.run("owner/name:version")` sends.
 */
export const MODEL_VERSIONS: Readonly<Record<string, string>> = {
  daad218feb714b03e2a1ac445986aebb9d05243cd00da2af17be2e4049f48f69: 'kwaivgi/kling-v2.1',
  '18f41bfca7f1997ce37b04b407152c385c9159095681a6f5a4ff47718bc25a57': 'kwaivgi/kling-v2.5-turbo-pro',
};

/** The models the simulator runs, by `owner/name`. */
export const MODEL_INPUT_SCHEMAS: Readonly<Record<string, z.ZodType<Record<string, unknown>>>> = {
  'kwaivgi/kling-v2.1': klingV21Input,
  'kwaivgi/kling-v2.5-turbo-pro': klingV25TurboProInput,
};
