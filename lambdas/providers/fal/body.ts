// The fal input (the JSON body of `POST {queue}/{endpoint id}`) for a canonical request, with fal's own field names
// (the endpoint input types of fal's JS client, `@fal-ai/client` `types/endpoints.ts`, and fal's model pages):
// `image_url`/`start_image_url`, `tail_image_url`/`end_image_url`, string `duration`, `generate_audio`, `voice_ids`,
// `multi_prompt` + `shot_type`, `camera_control`... What the capability map expresses was validated before Submit;
// anything else the request asks for that the chosen endpoint cannot take is refused (`invalid`) rather than
// silently dropped.
import type { ProviderError } from '../../domain/errors.ts';
import type { ResolvedRequest } from '../../domain/job.ts';
import type { SubmitMedia, SubmitRequest } from '../port.ts';
import { fitSubmission, mediaTypeOfBase64 } from '../scaffold.ts';
import type { Refuse } from '../scaffold.ts';
import { falEndpointFor, falModel, FAL_CAPABILITIES } from './models.ts';
import type { FalInputLayout } from './models.ts';

export type FalInput = Record<string, unknown>;

/**
 * Shots are always cut where the caller says (`customize`). fal also offers `intelligent` (it cuts by itself), but
 * the canonical request has no way to ask for it: multi-shot always carries explicit shots.
 */
export const SHOT_TYPE = 'customize';

/** At most this many `voice_ids` per task (fal's v2.6 image-to-video input: "≤2, referenced as <<<voice_1>>>"). */
const MAX_VOICE_IDS = 2;

/** The endpoint a submission goes to and its input. Throws `ProviderError('invalid')` for what the endpoint cannot take. */
export function buildFalInput(input: SubmitRequest): { endpointId: string; body: FalInput } {
  const { request, mode } = input;
  const { model: caps, media, refuse } = fitSubmission(input, FAL_CAPABILITIES);
  // FAL_CAPABILITIES is made from FAL_MODELS, so every model fitSubmission finds has its endpoints there.
  const model = falModel(caps.id);
  if (!model) throw refuse('has no fal endpoints');

  const endpoint = falEndpointFor(model, request, mode, media.image !== undefined);
  if ('refusal' in endpoint) throw refuse(endpoint.refusal);
  const { layout } = endpoint;
  const unsupported = (what: string) => refuse(`${what} is not taken by ${endpoint.id}`);

  const body: FalInput = {};
  const shots = mode === 'multi-shot' ? (request.shots ?? []) : [];
  if (mode === 'multi-shot') {
    // fal: "Either prompt or multi_prompt must be provided, but not both."
    if (request.prompt !== undefined)
      throw refuse('a multi-shot request takes shots without a prompt on fal (prompt or multi_prompt, not both)');
    const total = shots.reduce((sum, shot) => sum + shot.durationSeconds, 0);
    if (total !== request.durationSeconds)
      throw refuse(`shot durations add up to ${total} s but durationSeconds is ${request.durationSeconds}`);
    const short = shots.find((shot) => !caps.durationsSeconds.includes(shot.durationSeconds));
    if (short)
      throw refuse(`a shot of ${short.durationSeconds} s is not allowed; each shot takes one of ${caps.durationsSeconds.join(', ')} s`);
  } else if (request.shots !== undefined) {
    throw refuse('shots are only taken by multi-shot requests');
  }
  if (request.prompt !== undefined) body.prompt = request.prompt;

  putMedia(body, layout, media, mode, unsupported, refuse);
  if (request.keepOriginalSound !== undefined) {
    if (!layout.keepOriginalSound) throw unsupported('keepOriginalSound');
    body[layout.keepOriginalSound] = request.keepOriginalSound;
  }

  if (shots.length > 0) {
    if (!layout.multiPrompt) throw unsupported('multi_prompt');
    body.multi_prompt = shots.map((shot) => ({ prompt: shot.prompt, duration: String(shot.durationSeconds) }));
    body.shot_type = SHOT_TYPE;
  }
  // Image-led endpoints take the frame's aspect ratio; a (possibly defaulted) aspectRatio is then not sent.
  if (layout.aspectRatio) body.aspect_ratio = request.aspectRatio;
  // Video edits follow the input video's length; the (defaulted) durationSeconds is not sent there.
  if (layout.duration) body.duration = String(request.durationSeconds);
  if (request.negativePrompt !== undefined) {
    if (!layout.negativePrompt) throw unsupported('negative_prompt');
    body.negative_prompt = request.negativePrompt;
  }
  if (request.cfgScale !== undefined) {
    if (!layout.cfgScale) throw unsupported('cfg_scale');
    body.cfg_scale = request.cfgScale;
  }
  putAudioAndVoice(body, layout, request, unsupported, refuse);
  if (request.cameraControl) {
    if (!layout.cameraControl) throw unsupported('camera control');
    Object.assign(body, cameraControlFields(request.cameraControl, refuse));
  }
  return { endpointId: endpoint.id, body };
}

function putMedia(
  body: FalInput,
  layout: FalInputLayout,
  media: SubmitMedia,
  mode: SubmitRequest['mode'],
  unsupported: (what: string) => ProviderError,
  refuse: Refuse,
): void {
  if (media.image !== undefined) {
    if (!layout.startImage) throw unsupported('a start frame (image)');
    body[layout.startImage] = asFalFile(media.image, 'image');
  } else if (mode === 'image-to-video') {
    throw refuse('image-to-video needs a start frame (image); an end frame alone is not enough on fal');
  }
  if (media.endImage !== undefined) {
    if (!layout.endImage) throw unsupported('an end frame (endImage)');
    body[layout.endImage] = asFalFile(media.endImage, 'image');
  }
  if (media.referenceImages?.length) {
    if (!layout.referenceImages) throw unsupported('reference images');
    body[layout.referenceImages] = media.referenceImages.map((image) => asFalFile(image, 'image'));
  }
  if (media.video !== undefined) {
    if (!layout.video) throw unsupported('a video');
    body[layout.video] = asFalFile(media.video, 'video');
  }
}

function putAudioAndVoice(
  body: FalInput,
  layout: FalInputLayout,
  request: ResolvedRequest,
  unsupported: (what: string) => ProviderError,
  refuse: Refuse,
): void {
  if (request.voice) {
    if (request.voice.description !== undefined) throw refuse('fal takes voices as voice ids only, not as a description');
    const ids = request.voice.ids ?? [];
    if (!layout.voiceIds) throw unsupported('voice_ids');
    if (ids.length > MAX_VOICE_IDS) throw refuse(`at most ${MAX_VOICE_IDS} voice ids, got ${ids.length}`);
    body.voice_ids = ids;
  }
  // A voice speaks only with sound on; otherwise fal's own default (on) applies when audio is not given.
  const audio = request.audio ?? (request.voice ? true : undefined);
  if (audio === undefined) return;
  if (layout.audio) body.generate_audio = audio;
  else if (audio) throw unsupported('native audio (generate_audio)');
}

/**
 * fal's v1 standard text-to-video input takes a preset as the `camera_control` enum string, or one movement as
 * `advanced_camera_control: {movement_type, movement_value}`; the canonical `simple` type with one non-zero axis
 * is that movement.
 */
function cameraControlFields(cameraControl: NonNullable<ResolvedRequest['cameraControl']>, refuse: Refuse): FalInput {
  if (cameraControl.type !== 'simple') {
    if (cameraControl.config) throw refuse(`camera control ${cameraControl.type} takes no config`);
    return { camera_control: cameraControl.type };
  }
  const axes = Object.entries(cameraControl.config ?? {}).filter(([, value]) => value !== undefined && value !== 0);
  const [axis] = axes;
  if (axes.length !== 1 || axis === undefined) {
    throw refuse(`camera control simple needs exactly one non-zero axis, got ${axes.length}`);
  }
  return { advanced_camera_control: { movement_type: axis[0], movement_value: axis[1] } };
}

/**
 * fal file inputs are URLs, or base64 as a data URI (fal docs, 'Payloads'). Bare base64 gets a data: prefix with the
 * MIME type its first bytes show (PNG for an unknown image, MP4 for an unknown video).
 */
export function asFalFile(value: string, kind: 'image' | 'video'): string {
  if (/^(https?:|data:)/i.test(value)) return value;
  return `data:${mediaTypeOfBase64(value) ?? (kind === 'image' ? 'image/png' : 'video/mp4')};base64,${value}`;
}
