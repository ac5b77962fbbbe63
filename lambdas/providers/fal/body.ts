// The fal input (the JSON body of `POST {queue}/{endpoint id}`) for a canonical request, with fal's own field names
// (fal's endpoint catalog, facts.ts): `image_url`/`start_image_url`, `tail_image_url`/`end_image_url`, string
// `duration`, `generate_audio`, `voice_ids`, `multi_prompt` + `shot_type`, `camera_control`... Whether the request
// fits its endpoint was decided by the one fit check (`fitSubmission` → `falFit`, models.ts), the same that answered
// create: this file only writes what fits, and drops nothing the caller asked for.
import type { ResolvedRequest } from '../../domain/job.ts';
import type { SubmitMedia, SubmitRequest } from '../port.ts';
import { fitSubmission, mediaTypeOfBase64 } from '../scaffold.ts';
import type { FalInputLayout } from './facts.ts';
import { falEndpointFor, falModel, FAL_CAPABILITIES } from './models.ts';

export type FalInput = Record<string, unknown>;

/**
 * Shots are always cut where the caller says (`customize`, one of fal's `shot_type` values, facts.ts). fal also
 * offers `intelligent` (it cuts by itself), but the canonical request has no way to ask for it: multi-shot always
 * carries explicit shots.
 */
export const SHOT_TYPE = 'customize';

/**
 * The endpoint a submission goes to and its input. Throws `ProviderError('invalid')` (from `fitSubmission`) for a
 * request that does not fit, with the problems create would have answered with.
 */
export function buildFalInput(input: SubmitRequest): { endpointId: string; body: FalInput } {
  const { request, mode } = input;
  const { model: caps, media, refuse } = fitSubmission(input, FAL_CAPABILITIES);
  // fitSubmission asked falFit, which found this model and its endpoint; these two lines only name them again.
  const model = falModel(caps.id);
  const endpoint = model && falEndpointFor(model, request, mode, request.image !== undefined);
  if (!endpoint || 'refusal' in endpoint) throw refuse('has no fal endpoint for this request');
  const { layout } = endpoint;

  const body: FalInput = {};
  if (request.prompt !== undefined) body.prompt = request.prompt;
  putMedia(body, layout, media);
  if (request.keepOriginalSound !== undefined && layout.keepOriginalSound) body[layout.keepOriginalSound] = request.keepOriginalSound;
  if (mode === 'multi-shot' && layout.multiPrompt) {
    body.multi_prompt = (request.shots ?? []).map((shot) => ({ prompt: shot.prompt, duration: String(shot.durationSeconds) }));
    body.shot_type = SHOT_TYPE;
  }
  // Endpoints without `aspect_ratio` take the frame's; video edits follow the input video's length (no `duration`).
  if (layout.aspectRatio) body.aspect_ratio = request.aspectRatio;
  if (layout.duration) body.duration = String(request.durationSeconds);
  if (request.negativePrompt !== undefined) body.negative_prompt = request.negativePrompt;
  if (request.cfgScale !== undefined) body.cfg_scale = request.cfgScale;
  if (request.voice?.ids) body.voice_ids = request.voice.ids;
  // A voice speaks only with sound on; otherwise fal's own default (on) applies when audio is not given. An endpoint
  // without `generate_audio` makes no sound, so `audio: false` needs nothing sent there.
  const audio = request.audio ?? (request.voice ? true : undefined);
  if (audio !== undefined && layout.audio) body.generate_audio = audio;
  if (request.cameraControl) Object.assign(body, cameraControlFields(request.cameraControl));
  return { endpointId: endpoint.id, body };
}

function putMedia(body: FalInput, layout: FalInputLayout, media: SubmitMedia): void {
  if (media.image !== undefined && layout.startImage) body[layout.startImage] = asFalFile(media.image, 'image');
  if (media.endImage !== undefined && layout.endImage) body[layout.endImage] = asFalFile(media.endImage, 'image');
  if (media.referenceImages?.length && layout.referenceImages) {
    body[layout.referenceImages] = media.referenceImages.map((image) => asFalFile(image, 'image'));
  }
  if (media.video !== undefined && layout.video) body[layout.video] = asFalFile(media.video, 'video');
}

/**
 * fal's v1 standard text-to-video input takes a preset as the `camera_control` enum string, or one movement as
 * `advanced_camera_control: {movement_type, movement_value}`; the canonical `simple` type (one non-zero axis, as
 * validation requires) is that movement.
 */
function cameraControlFields(cameraControl: NonNullable<ResolvedRequest['cameraControl']>): FalInput {
  if (cameraControl.type !== 'simple') return { camera_control: cameraControl.type };
  const [axis] = Object.entries(cameraControl.config ?? {}).filter(([, value]) => value !== undefined && value !== 0);
  return axis ? { advanced_camera_control: { movement_type: axis[0], movement_value: axis[1] } } : {};
}

/**
 * fal file inputs are URLs, or base64 as a data URI (fal docs, 'Payloads'). Bare base64 gets a data: prefix with the
 * MIME type its first bytes show (PNG for an unknown image, MP4 for an unknown video).
 */
export function asFalFile(value: string, kind: 'image' | 'video'): string {
  if (/^(https?:|data:)/i.test(value)) return value;
  return `data:${mediaTypeOfBase64(value) ?? (kind === 'image' ? 'image/png' : 'video/mp4')};base64,${value}`;
}
