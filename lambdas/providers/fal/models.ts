// The Kling models klingflow offers through fal.ai (provider id `fal`): which fal endpoints serve each canonical
// model, how a request picks one (quality or resolution → tier, mode → task), and the fit check that holds a request
// to the endpoint it goes to. fal's own facts (endpoint ids, input fields, ranges) are in facts.ts and are checked
// against fal's endpoint catalog (the input types of `@fal-ai/client`) by test/catalog/fal-capabilities.test.ts.
//
// Each fal endpoint takes its own inputs, so a model's capability map is the union of what its endpoints take, and
// `falFit` (the map's `fit` rules, asked at create, in the Validate step and at Submit) refuses a request whose
// endpoint lacks a field it needs: the voice on an endpoint without `voice_ids`, an end frame on a tier without one,
// a mode a tier does not serve. Nothing is dropped on the wire: what is not refused is sent.
import type { FieldProblem } from '../../domain/capabilities.ts';
import type { Mode, ResolvedRequest } from '../../domain/job.ts';
import type { ModelCapabilities, ProviderCapabilities } from '../port.ts';
import { modelFactory } from '../scaffold.ts';
import {
  EDIT_O3,
  ELEMENTS_V16,
  FAL_ASPECT_RATIOS,
  FAL_CLASSIC_SECONDS,
  FAL_ENDPOINT_PREFIX,
  FAL_MAX_VOICE_IDS,
  FAL_O3_EDIT_MAX_REFERENCE_IMAGES,
  FAL_O3_MAX_REFERENCE_IMAGES,
  FAL_SHOT_SECONDS,
  FAL_V16_MAX_REFERENCE_IMAGES,
  FAL_V3_SECONDS,
  I2V_CLASSIC,
  I2V_CLASSIC_TAIL,
  I2V_O3,
  I2V_PRO_TAIL,
  I2V_V26,
  I2V_V3,
  R2V_O3,
  T2V_CLASSIC,
  T2V_O3,
  T2V_V1,
  T2V_V26,
  T2V_V3,
  type FalInputLayout,
  type FalTask,
  type FalTier,
} from './facts.ts';

export { FAL_ENDPOINT_PREFIX, type FalInputLayout, type FalTask, type FalTier } from './facts.ts';

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
  durationsSeconds: [...FAL_CLASSIC_SECONDS],
  defaultDurationSeconds: 5,
  aspectRatios: [...FAL_ASPECT_RATIOS],
  qualities: ['std', 'pro'],
  cfgScale: true,
  audio: false,
  cameraControl: false,
  endImage: false,
  negativePrompt: true,
  // Every fal image-to-video endpoint requires its start frame (`image_url` / `start_image_url`).
  startImageRequired: true,
  // fal's only voice input is `voice_ids`.
  voiceForms: ['ids'],
});

/** What the v3 and O3 families share: 3–15 s, multi-shot as shots alone, each shot 1–15 s, 4K. */
const omniFamily = {
  durationsSeconds: [...FAL_V3_SECONDS],
  resolutions: ['720p', '1080p', '4k'],
  audio: true,
  endImage: true,
  // "Either prompt or multi_prompt must be provided, but not both" (fal's endpoint catalog).
  promptWithShots: false,
  shotDurationsSeconds: [...FAL_SHOT_SECONDS],
} satisfies Partial<ModelCapabilities>;

/**
 * On the models with a 4K tier, a `resolution` picks the tier (fal's standard tier is Kling's 720p mode, pro is
 * 1080p); without one, `quality` does. A resolution therefore wins over the (possibly defaulted) quality.
 */
export const RESOLUTION_TIERS: Readonly<Record<NonNullable<ResolvedRequest['resolution']>, FalTier>> = {
  '720p': 'standard',
  '1080p': 'pro',
  '4k': '4k',
};

export const FAL_MODELS: readonly FalModel[] = [
  {
    // Camera control exists only on v1 standard text-to-video.
    capabilities: capabilities('kling-v1', { qualities: ['std'], cameraControl: true, endImage: true }),
    version: 'v1',
    tiers: { std: 'standard' },
    endpoints: { standard: { 'text-to-video': T2V_V1, 'image-to-video': I2V_CLASSIC_TAIL } },
  },
  {
    capabilities: capabilities('kling-v1-5', { qualities: ['pro'], endImage: true }),
    version: 'v1.5',
    tiers: { pro: 'pro' },
    endpoints: { pro: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_PRO_TAIL } },
  },
  {
    // The end frame exists on the pro image-to-video endpoint only.
    capabilities: capabilities('kling-v1-6', {
      modes: ['text-to-video', 'image-to-video', 'reference-to-video'],
      endImage: true,
      maxReferenceImages: FAL_V16_MAX_REFERENCE_IMAGES,
    }),
    version: 'v1.6',
    tiers: { std: 'standard', pro: 'pro' },
    endpoints: {
      standard: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_CLASSIC, elements: ELEMENTS_V16 },
      pro: { 'text-to-video': T2V_CLASSIC, 'image-to-video': I2V_PRO_TAIL, elements: ELEMENTS_V16 },
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
    // cfg_scale on text-to-video only, voice ids on image-to-video only.
    capabilities: capabilities('kling-v2-6', { qualities: ['pro'], audio: true, voice: true, endImage: true }),
    version: 'v2.6',
    tiers: { pro: 'pro' },
    endpoints: { pro: { 'text-to-video': T2V_V26, 'image-to-video': I2V_V26 } },
  },
  {
    // No endpoint of v3 takes voice ids (fal's catalog binds voices to `elements` there), so no voice.
    capabilities: capabilities('kling-v3', { ...omniFamily, modes: ['text-to-video', 'image-to-video', 'multi-shot'] }),
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
      ...omniFamily,
      modes: ['text-to-video', 'image-to-video', 'reference-to-video', 'video-edit', 'multi-shot'],
      cfgScale: false,
      negativePrompt: false,
      maxReferenceImages: FAL_O3_MAX_REFERENCE_IMAGES,
      maxEditReferenceImages: FAL_O3_EDIT_MAX_REFERENCE_IMAGES,
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

/** The fal model klingflow offers under a canonical model id, with its tiers and endpoints; undefined for another id. */
export function falModel(id: string): FalModel | undefined {
  return FAL_MODELS.find((model) => model.capabilities.id === id);
}

export interface FalEndpoint {
  /** e.g. `fal-ai/kling-video/v3/pro/text-to-video`. */
  id: string;
  layout: FalInputLayout;
}

/** Every endpoint klingflow may send to, with its layout, once each (what the catalog check walks). */
export function falEndpoints(): FalEndpoint[] {
  const byId = new Map<string, FalInputLayout>();
  for (const model of FAL_MODELS) {
    for (const [tier, tasks] of Object.entries(model.endpoints)) {
      for (const [task, layout] of Object.entries(tasks ?? {})) byId.set(`${FAL_ENDPOINT_PREFIX}/${model.version}/${tier}/${task}`, layout);
    }
  }
  return [...byId].map(([id, layout]) => ({ id, layout }));
}

/** Where an endpoint could not be found: the field that chose the tier or task, and why. */
export interface FalNoEndpoint {
  path: string;
  refusal: string;
}

/**
 * The endpoint a request goes to, or the field that leaves it without one. Multi-shot goes to the text- or
 * image-to-video endpoint (both take `multi_prompt`), depending on whether there is a start frame.
 */
export function falEndpointFor(
  model: FalModel,
  request: Pick<ResolvedRequest, 'quality' | 'resolution'>,
  mode: Mode,
  hasStartImage: boolean,
): FalEndpoint | FalNoEndpoint {
  const byResolution = request.resolution !== undefined;
  let tier: FalTier | undefined;
  if (request.resolution !== undefined) {
    if (!model.capabilities.resolutions?.includes(request.resolution)) {
      return { path: 'resolution', refusal: `resolution ${request.resolution} is not available (it follows quality on this model)` };
    }
    tier = RESOLUTION_TIERS[request.resolution];
  } else {
    tier = model.tiers[request.quality];
  }
  const tasks = tier === undefined ? undefined : model.endpoints[tier];
  if (tier === undefined || tasks === undefined) return { path: 'quality', refusal: `quality ${request.quality} is not available` };

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
  // Name the choices that reach this mode: the tiers (by quality or resolution) that have an endpoint for it.
  const reaching = Object.entries(model.endpoints)
    .filter(([, byTask]) => candidates.some((task) => byTask?.[task] && (mode !== 'multi-shot' || byTask[task]?.multiPrompt)))
    .map(([name]) => name as FalTier);
  const choices = byResolution
    ? Object.entries(RESOLUTION_TIERS)
        .filter(([, name]) => reaching.includes(name))
        .map(([resolution]) => resolution)
    : Object.entries(model.tiers)
        .filter(([, name]) => name !== undefined && reaching.includes(name))
        .map(([quality]) => quality);
  return {
    path: byResolution ? 'resolution' : 'quality',
    refusal: `fal has no ${tier} endpoint for ${mode}; ${mode} is available with ${byResolution ? 'resolution' : 'quality'} ${choices.join(', ') || '(none)'}`,
  };
}

/** What a request asks of an endpoint, field by field: the create-body path, what it is, and whether the layout takes it. */
function askedOf(request: ResolvedRequest, mode: Mode, layout: FalInputLayout): { path: string; what: string; taken: boolean }[] {
  const asked: { path: string; what: string; taken: boolean }[] = [];
  const ask = (given: boolean, path: string, what: string, taken: unknown) => {
    if (given) asked.push({ path, what, taken: Boolean(taken) });
  };
  ask(request.image !== undefined, 'image', 'a start frame (image)', layout.startImage);
  ask(request.endImage !== undefined, 'endImage', 'an end frame (endImage)', layout.endImage);
  ask((request.referenceImages?.length ?? 0) > 0, 'referenceImages', 'reference images', layout.referenceImages);
  ask(request.video !== undefined, 'video', 'a video', layout.video);
  ask(request.keepOriginalSound !== undefined, 'keepOriginalSound', 'keepOriginalSound (keep_audio)', layout.keepOriginalSound);
  ask(request.negativePrompt !== undefined, 'negativePrompt', 'a negative prompt (negative_prompt)', layout.negativePrompt);
  ask(request.cfgScale !== undefined, 'cfgScale', 'cfgScale (cfg_scale)', layout.cfgScale);
  ask(request.audio === true, 'audio', 'native audio (generate_audio)', layout.audio);
  ask(request.voice !== undefined, 'voice', 'a voice (voice_ids)', layout.voiceIds);
  ask(request.cameraControl !== undefined, 'cameraControl', 'camera control (camera_control)', layout.cameraControl);
  ask(mode === 'multi-shot', 'shots', 'shots (multi_prompt)', layout.multiPrompt);
  return asked;
}

/**
 * fal's fit rules (`FAL_CAPABILITIES.fit`): the request must reach an endpoint, and that endpoint must take every
 * field the request asks for. Each problem names the field, the endpoint, and where fal takes the field instead
 * (the models and modes whose endpoints list it). Pure.
 */
export function falFit(request: ResolvedRequest, mode: Mode, caps: ModelCapabilities): FieldProblem[] {
  const model = falModel(caps.id);
  if (!model) return [{ path: 'model', message: `fal has no endpoints for ${caps.id}` }];
  const endpoint = falEndpointFor(model, request, mode, request.image !== undefined);
  if ('refusal' in endpoint) return [{ path: endpoint.path, message: `fal ${caps.id}: ${endpoint.refusal}` }];
  const problems: FieldProblem[] = [];
  // Where the prompt is optional, the shots stand in for it: "Either prompt or multi_prompt must be provided".
  if (!request.prompt && (endpoint.layout.prompt === 'required' || mode !== 'multi-shot')) {
    problems.push({
      path: 'prompt',
      message: `fal endpoint ${endpoint.id} needs a prompt${endpoint.layout.multiPrompt ? ' (or shots)' : ''}`,
    });
  }
  for (const { path, what, taken } of askedOf(request, mode, endpoint.layout)) {
    if (taken) continue;
    const elsewhere = endpointsTaking(path);
    problems.push({
      path,
      message: `${what} is not taken by fal endpoint ${endpoint.id}${elsewhere.length ? `; on fal it is taken by: ${elsewhere.join(', ')}` : ''}`,
    });
  }
  if ((request.voice?.ids?.length ?? 0) > FAL_MAX_VOICE_IDS) {
    problems.push({ path: 'voice.ids', message: `fal takes at most ${FAL_MAX_VOICE_IDS} voice ids, got ${request.voice?.ids?.length}` });
  }
  return problems;
}

/** The models and tasks whose endpoints take a create-body field, e.g. `kling-v2-6 image-to-video` for `voice`. */
function endpointsTaking(path: string): string[] {
  const probe: ResolvedRequest = { provider: 'fal', model: '', durationSeconds: 5, aspectRatio: '16:9', quality: 'std' };
  const found = new Set<string>();
  for (const model of FAL_MODELS) {
    for (const tasks of Object.values(model.endpoints)) {
      for (const [task, layout] of Object.entries(tasks ?? {})) {
        const field = askedOfAll(probe, layout).find((entry) => entry.path === path);
        if (field?.taken) found.add(`${model.capabilities.id} ${task}`);
      }
    }
  }
  return [...found];
}

/** Every field as if asked, to see which a layout takes. */
function askedOfAll(probe: ResolvedRequest, layout: FalInputLayout) {
  const everything: ResolvedRequest = {
    ...probe,
    image: { url: 'https://probe.invalid/a.png' },
    endImage: { url: 'https://probe.invalid/b.png' },
    referenceImages: [{ url: 'https://probe.invalid/c.png' }],
    video: { url: 'https://probe.invalid/d.mp4' },
    keepOriginalSound: true,
    negativePrompt: 'n',
    cfgScale: 0.5,
    audio: true,
    voice: { ids: ['v'] },
    cameraControl: { type: 'down_back' },
  };
  return askedOf(everything, 'multi-shot', layout);
}

export const FAL_CAPABILITIES: ProviderCapabilities = {
  // kling-v3 is Kling's current flagship and takes the most of the canonical request (text and image to video,
  // multi-shot, sound, end frames, negative prompt, cfg scale, 4K), like the `kling` dialect's default, so a
  // request that names no model behaves alike on both. Reference images and video edits need `kling-o3`.
  defaultModel: 'kling-v3',
  models: FAL_MODELS.map((model) => model.capabilities),
  callbacks: true,
  // fal signs its webhooks with Ed25519 (keys from a JWKS); parseCallback verifies them.
  callbackAuth: 'signature',
  cancel: true,
  fit: falFit,
};
