// The fal input (the JSON body of `POST {queue}/{endpoint id}`) for a canonical request, with fal's own field names
// (provider-apis.md §2.4): `image_url`/`start_image_url`, `tail_image_url`/`end_image_url`, string `duration`,
// `generate_audio`, `voice_ids`, `multi_prompt` + `shot_type`, `camera_control`... Anything the request asks for
// that the chosen endpoint cannot take is refused (`invalid`) rather than silently dropped.
import { ProviderError } from '../../domain/errors.ts';
import type { MediaRef, ResolvedRequest } from '../../domain/job.ts';
import type { SubmitRequest } from '../port.ts';
import { falEndpointFor, falModel, FAL_MODELS } from './models.ts';
import type { FalInputLayout } from './models.ts';

export type FalInput = Record<string, unknown>;

/**
 * Shots are always cut where the caller says (`customize`). fal also offers `intelligent` (it cuts by itself), but
 * the canonical request has no way to ask for it: multi-shot always carries explicit shots.
 */
export const SHOT_TYPE = 'customize';

/** At most this many `voice_ids` per task (§2.4). */
const MAX_VOICE_IDS = 2;

export function buildFalInput(input: SubmitRequest): { endpointId: string; body: FalInput } {
  const { request, mode } = input;
  const refuse = (message: string) => new ProviderError('invalid', `fal ${request.model}: ${message}`);
  const model = falModel(request.model);
  if (!model) throw refuse(`not a model klingflow offers on fal; known: ${FAL_MODELS.map((m) => m.capabilities.id).join(', ')}`);
  const caps = model.capabilities;
  if (!caps.modes.includes(mode)) throw refuse(`${mode} is not supported; supported: ${caps.modes.join(', ')}`);
  if (!caps.durationsSeconds.includes(request.durationSeconds)) {
    throw refuse(`${request.durationSeconds} s is not supported; supported: ${caps.durationsSeconds.join(', ')}`);
  }
  if (request.fps !== undefined) throw refuse('fal takes no frame rate');

  const image = input.media?.image ?? (request.image && urlOf(request.image, refuse));
  const endImage = input.media?.endImage ?? (request.endImage && urlOf(request.endImage, refuse));
  const referenceImages = input.media?.referenceImages ?? request.referenceImages?.map((ref) => urlOf(ref, refuse));
  const video = input.media?.video ?? (request.video && urlOf(request.video, refuse));

  const endpoint = falEndpointFor(model, request, mode, image !== undefined);
  if ('refusal' in endpoint) throw refuse(endpoint.refusal);
  const { layout } = endpoint;
  const unsupported = (what: string) => refuse(`${what} is not taken by ${endpoint.id}`);

  const body: FalInput = {};
  const shots = mode === 'multi-shot' ? (request.shots ?? []) : [];
  if (mode === 'multi-shot') {
    if (shots.length === 0) throw refuse('multi-shot needs shots');
    // fal: "Either prompt or multi_prompt must be provided, but not both."
    if (request.prompt !== undefined) throw refuse('a multi-shot request takes shots without a prompt on fal (prompt or multi_prompt, not both)');
    const total = shots.reduce((sum, shot) => sum + shot.durationSeconds, 0);
    if (total !== request.durationSeconds) throw refuse(`shot durations add up to ${total} s but durationSeconds is ${request.durationSeconds}`);
    const short = shots.find((shot) => !caps.durationsSeconds.includes(shot.durationSeconds));
    if (short) throw refuse(`a shot of ${short.durationSeconds} s is not allowed; each shot takes one of ${caps.durationsSeconds.join(', ')} s`);
  } else if (request.shots !== undefined) {
    throw refuse('shots are only taken by multi-shot requests');
  }
  if (request.prompt !== undefined) body.prompt = request.prompt;

  putMedia(body, layout, { image, endImage, referenceImages, video }, mode, unsupported, refuse);
  if (referenceImages?.length && referenceImages.length > (caps.maxReferenceImages ?? 0)) {
    throw refuse(`at most ${caps.maxReferenceImages ?? 0} reference images, got ${referenceImages.length}`);
  }
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
  media: { image?: string; endImage?: string; referenceImages?: string[]; video?: string },
  mode: SubmitRequest['mode'],
  unsupported: (what: string) => ProviderError,
  refuse: (message: string) => ProviderError,
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
  } else if (mode === 'reference-to-video') {
    throw refuse('reference-to-video needs reference images');
  }
  if (media.video !== undefined) {
    if (!layout.video) throw unsupported('a video');
    body[layout.video] = asFalFile(media.video, 'video');
  } else if (mode === 'video-edit') {
    throw refuse('a video edit needs a video');
  }
}

function putAudioAndVoice(
  body: FalInput,
  layout: FalInputLayout,
  request: ResolvedRequest,
  unsupported: (what: string) => ProviderError,
  refuse: (message: string) => ProviderError,
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
 * §2.4: v1 standard text-to-video takes a preset as the `camera_control` enum string, or one movement as
 * `advanced_camera_control: {movement_type, movement_value}`; the canonical `simple` type with one non-zero axis
 * is that movement.
 */
function cameraControlFields(
  cameraControl: NonNullable<ResolvedRequest['cameraControl']>,
  refuse: (message: string) => ProviderError,
): FalInput {
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

/** A `{url}` ref as is; an `{s3Key}` must have been prepared into `media` first. */
function urlOf(ref: MediaRef, refuse: (message: string) => ProviderError): string {
  if ('url' in ref) return ref.url;
  throw refuse('an S3 input must be prepared as a URL or base64 before submission (media was not given)');
}

/**
 * fal file inputs are URLs, or base64 as a data URI (fal's "payloads" page, §2 S10). Bare base64 gets a data: prefix
 * with the MIME type its first bytes show.
 */
export function asFalFile(value: string, kind: 'image' | 'video'): string {
  if (/^(https?:|data:)/i.test(value)) return value;
  return `data:${sniffMime(value, kind)};base64,${value}`;
}

function sniffMime(base64: string, kind: 'image' | 'video'): string {
  const head = Buffer.from(base64.slice(0, 24), 'base64');
  if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'image/png';
  if (head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (head.subarray(4, 8).toString('latin1') === 'ftyp') return head.subarray(8, 10).toString('latin1') === 'qt' ? 'video/quicktime' : 'video/mp4';
  if (head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))) return 'video/webm';
  return kind === 'image' ? 'image/png' : 'video/mp4';
}
