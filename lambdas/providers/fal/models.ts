// The Kling models klingflow offers through fal.ai (provider id `fal`), and the one table that turns a canonical
// model + quality/resolution + mode into a fal endpoint id and the input fields that endpoint takes.
//
// Endpoint ids: the endpoint types of fal's official JS client (`@fal-ai/client`, `types/endpoints.ts`). fal names
// each endpoint `fal-ai/kling-video/<version>/<tier>/<task>`; the tier is `standard`, `pro`, `master` or `4k`.
// Input fields: the client's input types where they list them (T2V of v1.5/v2.1/v2.5-turbo, v1 camera control, I2V
// of v2/v2.1 with `tail_image_url` on v2.1 pro and v2.5-turbo pro, v2.6 pro I2V, v3 T2V). Where the client is silent
// (the v1.6 `elements` endpoint, v3 I2V, the O3 endpoints, `negative_prompt`/`cfg_scale` on v3) the layouts follow
// the input schemas fal publishes on its model pages; each such layout says so below and is one constant to change.
import type { ModelCapabilities, ProviderCapabilities } from '../port.ts';
import type { Mode, ResolvedRequest } from '../../domain/job.ts';
import { modelFactory } from '../scaffold.ts';

/** The path segment after the version: fal's name for a quality tier. */
export type FalTier = 'standard' | 'pro' | 'master' | '4k';

/** The last path segment(s) of an endpoint id: what the endpoint does. */
export const FAL_TASKS = ['text-to-video', 'image-to-video', 'elements', 'reference-to-video', 'video-to-video/edit'] as const;
export type FalTask = (typeof FAL_TASKS)[number];

/** Which of fal's input fields an endpoint takes. A field it does not take is never sent (the request is refused). */
export interface FalInputLayout {
  /** The first frame: `image_url` on the older endpoints and O3 I2V, `start_image_url` on v2.6/v3 I2V and O3 R2V. */
  startImage?: 'image_url' | 'start_image_url';
  /** The last frame: `tail_image_url` on the older endpoints, `end_image_url` on v2.6 and later. */
  endImage?: 'tail_image_url' | 'end_image_url';
  referenceImages?: 'input_image_urls' | 'image_urls';
  video?: 'video_url';
  keepOriginalSound?: 'keep_audio';
  aspectRatio?: boolean;
  /** `duration` as a string of whole seconds ("5"). */
  duration?: boolean;
  negativePrompt?: boolean;
  cfgScale?: boolean;
  /** `generate_audio` (fal's default is true where the endpoint has it). */
  audio?: boolean;
  /** `voice_ids` (at most two, referenced in the prompt as <<<voice_1>>>). */
  voiceIds?: boolean;
  /** `multi_prompt` + `shot_type`. */
  multiPrompt?: boolean;
  /** `camera_control` (preset name) or `advanced_camera_control` ({movement_type, movement_value}). */
  cameraControl?: boolean;
}

// Layouts. "fal client" = the JS client's input types list these fields; "fal schema" = taken from fal's model page
// for the endpoint.
const T2V_CLASSIC: FalInputLayout = { aspectRatio: true, duration: true, negativePrompt: true, cfgScale: true }; // fal client
const T2V_V1: FalInputLayout = { ...T2V_CLASSIC, cameraControl: true }; // fal client
const I2V_CLASSIC: FalInputLayout = { startImage: 'image_url', duration: true, negativePrompt: true, cfgScale: true }; // fal client
const I2V_CLASSIC_TAIL: FalInputLayout = { ...I2V_CLASSIC, endImage: 'tail_image_url' }; // fal client
const ELEMENTS_V16: FalInputLayout = { referenceImages: 'input_image_urls', aspectRatio: true, duration: true, negativePrompt: true }; // fal schema
const T2V_V26: FalInputLayout = { ...T2V_CLASSIC, audio: true }; // fal schema
const I2V_V26: FalInputLayout = {
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  duration: true,
  negativePrompt: true,
  audio: true,
  voiceIds: true,
}; // fal client
const T2V_V3: FalInputLayout = { ...T2V_CLASSIC, audio: true, multiPrompt: true }; // fal client (+ negative_prompt/cfg_scale: fal schema)
const I2V_V3: FalInputLayout = {
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  duration: true,
  negativePrompt: true,
  cfgScale: true,
  audio: true,
  voiceIds: true,
  multiPrompt: true,
}; // fal schema
const T2V_O3: FalInputLayout = { aspectRatio: true, duration: true, audio: true, multiPrompt: true }; // fal schema
const I2V_O3: FalInputLayout = { startImage: 'image_url', endImage: 'end_image_url', duration: true, audio: true, multiPrompt: true }; // fal schema
const R2V_O3: FalInputLayout = {
  referenceImages: 'image_urls',
  startImage: 'start_image_url',
  endImage: 'end_image_url',
  aspectRatio: true,
  duration: true,
  audio: true,
  multiPrompt: true,
}; // fal schema
const EDIT_O3: FalInputLayout = { video: 'video_url', referenceImages: 'image_urls', keepOriginalSound: 'keep_audio' }; // fal schema

const ALL_ASPECT_RATIOS: ModelCapabilities['aspectRatios'] = ['16:9', '9:16', '1:1'];
const FIVE_OR_TEN = [5, 10];
const THREE_TO_FIFTEEN = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

export interface FalModel {
  capabilities: ModelCapabilities;
  /** `fal-ai/kling-video/<version>`. */
  version: string;
  /** The tier a quality selects. */
  tiers: Partial<Record<ResolvedRequest['quality'], FalTier>>;
  /** The endpoints that exist, by tier and task, with the fields each takes. */
  endpoints: Partial<Record<FalTier, Partial<Record<FalTask, FalInputLayout>>>>;
}

const capabilities = modelFactory({
  modes: ['text-to-video', 'image-to-video'],
  durationsSeconds: FIVE_OR_TEN,
  defaultDurationSeconds: 5,
  aspectRatios: ALL_ASPECT_RATIOS,
  qualities: ['std', 'pro'],
  cfgScale: true,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: true,
});

/**
 * On the models with a 4K tier, a `resolution` picks the tier (fal's standard tier is Kling's 720p mode, pro is
 * 1080p); without one, `quality` does. A resolution therefore wins over the (possibly defaulted) quality.
 */
export const RESOLUTION_TIERS: Readonly<Record<NonNullable<ResolvedRequest['resolution']>, FalTier>> = {
  '720p': 'standard',
  '1080p': 'pro',
  '4k': '4k',
};

/**
 * O3 reference-to-video: Kling's omni model takes up to seven images; fal lowers the cap to four only when a video
 * element is sent too, which this adapter never does. One constant, easy to change.
 */
export const O3_MAX_REFERENCE_IMAGES = 7;
/** v1.6 `elements` (`input_image_urls`): Kling's multi-image product takes up to four. */
export const V16_MAX_REFERENCE_IMAGES = 4;

export const FAL_MODELS: readonly FalModel[] = [
  {
    // Camera control exists only on v1 standard text-to-video (fal client).
    capabilities: capabilities('kling-v1', { qualities: ['std'], cameraControl: true, endImage: true }),
    version: 'v1',
    tiers: { std: 'standard' },
    endpoints: { standard: { 'text-to-video': T2V_V1, 'image-to-video': I2V_CLASSIC_TAIL } },
  },
  {
    capabilities: capabilities('kling-v1-5', { qualities: ['pro'], endImage: true }),
    version: 'v1.5',
    tiers: { pro: 'pro' },
    endpoints: { pro: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC_TAIL } },
  },
  {
    // The end frame exists on the pro image-to-video endpoint only; a std request with one is refused at submit.
    capabilities: capabilities('kling-v1-6', {
      modes: ['text-to-video', 'image-to-video', 'reference-to-video'],
      endImage: true,
      maxReferenceImages: V16_MAX_REFERENCE_IMAGES,
    }),
    version: 'v1.6',
    tiers: { std: 'standard', pro: 'pro' },
    endpoints: {
      standard: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC, elements: ELEMENTS_V16 },
      pro: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC_TAIL, elements: ELEMENTS_V16 },
    },
  },
  {
    // The master models have one tier, reached with quality std.
    capabilities: capabilities('kling-v2-master', { qualities: ['std'] }),
    version: 'v2',
    tiers: { std: 'master' },
    endpoints: { master: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC } },
  },
  {
    capabilities: capabilities('kling-v2-1', { modes: ['image-to-video'], endImage: true }),
    version: 'v2.1',
    tiers: { std: 'standard', pro: 'pro' },
    endpoints: { standard: { 'image-to-video': I2V_CLASSIC }, pro: { 'image-to-video': I2V_CLASSIC_TAIL } },
  },
  {
    capabilities: capabilities('kling-v2-1-master', { qualities: ['std'] }),
    version: 'v2.1',
    tiers: { std: 'master' },
    endpoints: { master: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC } },
  },
  {
    // Text-to-video exists in pro only, so pro comes first (the default quality).
    capabilities: capabilities('kling-v2-5-turbo', { qualities: ['pro', 'std'], endImage: true }),
    version: 'v2.5-turbo',
    tiers: { pro: 'pro', std: 'standard' },
    endpoints: {
      pro: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC_TAIL },
      standard: { 'image-to-video': I2V_CLASSIC },
    },
  },
  {
    // cfg_scale on text-to-video only, voice ids on image-to-video only (refused at submit elsewhere).
    capabilities: capabilities('kling-v2-6', { qualities: ['pro'], audio: true, voice: true, endImage: true }),
    version: 'v2.6',
    tiers: { pro: 'pro' },
    endpoints: { pro: { 'text-to-video': T2V_V26, 'image-to-video': I2V_V26 } },
  },
  {
    // Voice ids on image-to-video only (the text-to-video schema has none; refused at submit there).
    capabilities: capabilities('kling-v3', {
      modes: ['text-to-video', 'image-to-video', 'multi-shot'],
      durationsSeconds: THREE_TO_FIFTEEN,
      resolutions: ['720p', '1080p', '4k'],
      audio: true,
      voice: true,
      endImage: true,
    }),
    version: 'v3',
    tiers: { std: 'standard', pro: 'pro' },
    endpoints: {
      standard: { 'text-to-video': T2V_V3, 'image-to-video': I2V_V3 },
      pro: { 'text-to-video': T2V_V3, 'image-to-video': I2V_V3 },
      '4k': { 'text-to-video': T2V_V3, 'image-to-video': I2V_V3 },
    },
  },
  {
    // Kling O3 (omni): every mode, no negative prompt, cfg scale or voice; video edits have no 4K endpoint.
    capabilities: capabilities('kling-o3', {
      modes: ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot'],
      durationsSeconds: THREE_TO_FIFTEEN,
      resolutions: ['720p', '1080p', '4k'],
      cfgScale: false,
      negativePrompt: false,
      audio: true,
      endImage: true,
      maxReferenceImages: O3_MAX_REFERENCE_IMAGES,
      keepOriginalSound: true,
    }),
    version: 'o3',
    tiers: { std: 'standard', pro: 'pro' },
    endpoints: {
      standard: { 'text-to-video': T2V_O3, 'image-to-video': I2V_O3, 'reference-to-video': R2V_O3, 'video-to-video/edit': EDIT_O3 },
      pro: { 'text-to-video': T2V_O3, 'image-to-video': I2V_O3, 'reference-to-video': R2V_O3, 'video-to-video/edit': EDIT_O3 },
      '4k': { 'text-to-video': T2V_O3, 'image-to-video': I2V_O3, 'reference-to-video': R2V_O3 },
    },
  },
];

export const FAL_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is Kling's current flagship and takes the most of the canonical request (text and image to video,
  // multi-shot, sound, voices, end frames, negative prompt, cfg scale, 4K), like the `kling` dialect's default, so a
  // request that names no model behaves alike on both. Reference images and video edits need `kling-o3`.
  defaultModel: 'kling-v3',
  models: FAL_MODELS.map((model) => model.capabilities),
  callbacks: true,
  // fal signs its webhooks with Ed25519 (keys from a JWKS); parseCallback verifies them.
  callbackAuth: 'signature',
  cancel: true,
};

/** The fal model klingflow offers under a canonical model id, with its tiers and endpoints; undefined for another id. */
export function falModel(id: string): FalModel | undefined {
  return FAL_MODELS.find((model) => model.capabilities.id === id);
}

export interface FalEndpoint {
  /** e.g. `fal-ai/kling-video/v3/pro/text-to-video`. */
  id: string;
  layout: FalInputLayout;
}

/** The owner every Kling endpoint on fal lives under. */
export const FAL_ENDPOINT_PREFIX = 'fal-ai/kling-video';

/**
 * The endpoint a request goes to, or a reason it has none. Multi-shot goes to the text- or image-to-video endpoint
 * (both take `multi_prompt`), depending on whether there is a start frame.
 */
export function falEndpointFor(
  model: FalModel,
  request: Pick<ResolvedRequest, 'quality' | 'resolution'>,
  mode: Mode,
  hasStartImage: boolean,
): FalEndpoint | { refusal: string } {
  let tier: FalTier | undefined;
  if (request.resolution !== undefined) {
    if (!model.capabilities.resolutions?.includes(request.resolution)) {
      return { refusal: `resolution ${request.resolution} is not available (it follows quality on this model)` };
    }
    tier = RESOLUTION_TIERS[request.resolution];
  } else {
    tier = model.tiers[request.quality];
  }
  const tasks = tier === undefined ? undefined : model.endpoints[tier];
  if (tier === undefined || tasks === undefined) return { refusal: `quality ${request.quality} is not available` };

  const candidates: FalTask[] =
    mode === 'text-to-video'
      ? ['text-to-video']
      : mode === 'image-to-video'
        ? ['image-to-video']
        : mode === 'reference-to-video'
          ? ['reference-to-video', 'elements']
          : mode === 'video-edit'
            ? ['video-to-video/edit']
            : [hasStartImage ? 'image-to-video' : 'text-to-video'];
  for (const task of candidates) {
    const layout = tasks[task];
    if (layout && (mode !== 'multi-shot' || layout.multiPrompt)) {
      return { id: `${FAL_ENDPOINT_PREFIX}/${model.version}/${tier}/${task}`, layout };
    }
  }
  return { refusal: `${mode} has no ${tier} endpoint` };
}
