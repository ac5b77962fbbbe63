// Checks a create request against the chosen provider's capability map and fills the defaults from it.
// Every problem is reported at once, each with the field, what was given and what is allowed (docs/api.md,
// "Create a job" and "Errors": 422 VALIDATION_FAILED).
import type { CreateJobRequest, Mode, ResolvedRequest } from './job.ts';
import { modeOf } from './job.ts';
import type { ModelCapabilities, ProviderCapabilities } from './capabilities.ts';
import { UPLOAD_PREFIX } from './uploads.ts';
import { checkPublicUrl } from './url-policy.ts';

export interface FieldProblem {
  path: string;
  message: string;
}

export type Resolution = { ok: true; request: ResolvedRequest; mode: Mode } | { ok: false; details: FieldProblem[] };

export interface ProviderLookup {
  /** Capabilities of a provider, or undefined when it is not enabled. */
  capabilitiesOf(providerId: string): ProviderCapabilities | undefined;
  enabledProviders: readonly string[];
  defaultProvider: string;
  /** Accept callback URLs on this machine (loopback, http too: the local stack's receivers); never on AWS. */
  allowLoopbackCallbackUrls?: boolean;
}

const list = (values: readonly (string | number)[]): string => values.join(', ');

export function resolveRequest(body: CreateJobRequest, providers: ProviderLookup): Resolution {
  const provider = body.provider ?? providers.defaultProvider;
  const capabilities = providers.capabilitiesOf(provider);
  if (!capabilities) {
    return {
      ok: false,
      details: [
        {
          path: 'provider',
          message: `'${provider}' is not an enabled provider; allowed: ${list(providers.enabledProviders)}`,
        },
        ...checkInputs(body, providers.allowLoopbackCallbackUrls),
      ],
    };
  }
  const modelId = body.model ?? capabilities.defaultModel;
  const model = capabilities.models.find((m) => m.id === modelId);
  if (!model) {
    return {
      ok: false,
      details: [
        {
          path: 'model',
          message: `'${modelId}' is not a ${provider} model; allowed: ${list(capabilities.models.map((m) => m.id))}`,
        },
        ...checkInputs(body, providers.allowLoopbackCallbackUrls),
      ],
    };
  }
  const mode = modeOf(body);
  const details = [...checkAgainstModel(body, mode, model, provider), ...checkInputs(body, providers.allowLoopbackCallbackUrls)];
  if (details.length > 0) return { ok: false, details };
  return {
    ok: true,
    mode,
    request: {
      ...body,
      provider,
      model: model.id,
      durationSeconds: body.durationSeconds ?? model.defaultDurationSeconds,
      aspectRatio: body.aspectRatio ?? model.aspectRatios[0] ?? '16:9',
      quality: body.quality ?? model.qualities[0] ?? 'std',
    },
  };
}

function checkAgainstModel(body: CreateJobRequest, mode: Mode, model: ModelCapabilities, provider: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const name = `${provider} model ${model.id}`;
  const unsupported = (path: string, what: string) => problems.push({ path, message: `${what} is not supported by ${name}` });

  if (!model.modes.includes(mode)) {
    problems.push({ path: modeField(mode), message: `${mode} is not supported by ${name}; allowed modes: ${list(model.modes)}` });
  }
  if (mode === 'text-to-video' && !body.prompt) {
    problems.push({ path: 'prompt', message: 'a prompt is required for text-to-video (or give image, referenceImages, video or shots)' });
  }
  if (body.durationSeconds !== undefined && !model.durationsSeconds.includes(body.durationSeconds)) {
    problems.push({
      path: 'durationSeconds',
      message: `${body.durationSeconds} is not allowed for ${name}; allowed: ${list(model.durationsSeconds)}`,
    });
  }
  if (body.aspectRatio !== undefined && !model.aspectRatios.includes(body.aspectRatio)) {
    problems.push({
      path: 'aspectRatio',
      message: `'${body.aspectRatio}' is not allowed for ${name}; allowed: ${list(model.aspectRatios)}`,
    });
  }
  if (body.quality !== undefined && !model.qualities.includes(body.quality)) {
    problems.push({ path: 'quality', message: `'${body.quality}' is not allowed for ${name}; allowed: ${list(model.qualities)}` });
  }
  if (body.resolution !== undefined) {
    const allowed = model.resolutions ?? [];
    if (!allowed.includes(body.resolution)) {
      problems.push({
        path: 'resolution',
        message: allowed.length
          ? `'${body.resolution}' is not allowed for ${name}; allowed: ${list(allowed)}`
          : `${name} does not take a resolution (it follows quality)`,
      });
    }
  }
  if (body.cfgScale !== undefined && !model.cfgScale) unsupported('cfgScale', 'cfgScale');
  if (body.audio === true && !model.audio) unsupported('audio', 'native audio');
  if (body.cameraControl && !model.cameraControl) unsupported('cameraControl', 'camera control');
  if (body.endImage && !model.endImage) unsupported('endImage', 'an end frame');
  if (body.negativePrompt !== undefined && !model.negativePrompt) unsupported('negativePrompt', 'a negative prompt');
  if (body.fps !== undefined) {
    if (!model.fps?.length) problems.push({ path: 'fps', message: `${name} does not take a frame rate` });
    else if (!model.fps.includes(body.fps)) {
      problems.push({ path: 'fps', message: `${body.fps} is not allowed for ${name}; allowed: ${list(model.fps)}` });
    }
  }
  if (body.referenceImages?.length && model.modes.includes('reference-to-video')) {
    const max = model.maxReferenceImages ?? 0;
    if (body.referenceImages.length > max) {
      problems.push({
        path: 'referenceImages',
        message: max
          ? `${name} takes at most ${max} reference images, got ${body.referenceImages.length}`
          : `reference images are not supported by ${name}`,
      });
    }
  }
  if (body.voice && !model.voice) unsupported('voice', 'a voice');
  if (body.voice && body.audio === false) problems.push({ path: 'voice', message: 'a voice needs audio; leave audio unset or true' });
  if (body.keepOriginalSound !== undefined) {
    if (mode !== 'video-edit')
      problems.push({ path: 'keepOriginalSound', message: 'keepOriginalSound applies to video edits (give a video)' });
    else if (!model.keepOriginalSound) unsupported('keepOriginalSound', 'keeping the original sound');
  }
  if (body.endImage && body.cameraControl) {
    problems.push({ path: 'cameraControl', message: 'camera control cannot be combined with an end frame (endImage)' });
  }
  if (body.shots) {
    const total = body.shots.reduce((sum, shot) => sum + shot.durationSeconds, 0);
    const expected = body.durationSeconds ?? model.defaultDurationSeconds;
    if (total !== expected) {
      problems.push({ path: 'shots', message: `shot durations add up to ${total} s but the video is ${expected} s; they must be equal` });
    }
  }
  return problems;
}

function modeField(mode: Mode): string {
  switch (mode) {
    case 'image-to-video':
      return 'image';
    case 'reference-to-video':
      return 'referenceImages';
    case 'video-edit':
      return 'video';
    case 'multi-shot':
      return 'shots';
    default:
      return 'prompt';
  }
}

/** Input media and the callback URL: public http(s) only (no SSRF into our own network); stored inputs under uploads/. */
function checkInputs(body: CreateJobRequest, allowLoopbackCallbackUrls = false): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const refs: [string, CreateJobRequest['image']][] = [
    ['image', body.image],
    ['endImage', body.endImage],
    ['video', body.video],
    ...(body.referenceImages ?? []).map((ref, i): [string, CreateJobRequest['image']] => [`referenceImages.${i}`, ref]),
  ];
  for (const [path, ref] of refs) {
    if (!ref) continue;
    if ('s3Key' in ref) {
      if (!ref.s3Key.startsWith(UPLOAD_PREFIX) || ref.s3Key.split('/').some((part) => part === '..' || part === '.')) {
        problems.push({ path: `${path}.s3Key`, message: `must be a key under ${UPLOAD_PREFIX} in the inputs bucket` });
      }
      continue;
    }
    const verdict = checkPublicUrl(ref.url);
    if (!verdict.ok) problems.push({ path: `${path}.url`, message: verdict.reason });
  }
  if (body.callbackUrl) {
    const verdict = checkPublicUrl(body.callbackUrl, { httpsOnly: true, allowLoopback: allowLoopbackCallbackUrls });
    if (!verdict.ok) problems.push({ path: 'callbackUrl', message: verdict.reason });
  }
  return problems;
}
