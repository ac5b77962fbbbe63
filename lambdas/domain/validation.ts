// Checks a create request against the chosen provider's capability map and fills the defaults from it.
// Every problem is reported at once, each with the field, what was given and what is allowed (docs/api.md,
// "Create a job" and "Errors": 422 VALIDATION_FAILED). `fitProblems` is the one answer to "does this request fit
// this model": create and the workflow's Validate step ask it through `resolveRequest`, and every adapter asks it
// again at Submit (lambdas/providers/scaffold.ts, fitSubmission), so Submit never refuses what create accepted.
import type { CreateJobRequest, Mode, ResolvedRequest } from './job.ts';
import { modeOf } from './job.ts';
import type { FieldProblem, LimitedFeature, ModelCapabilities, ProviderCapabilities } from './capabilities.ts';
import { UPLOAD_PREFIX } from './uploads.ts';
import { checkPublicUrl } from './url-policy.ts';

export type { FieldProblem } from './capabilities.ts';

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
  const request: ResolvedRequest = {
    ...body,
    provider,
    model: model.id,
    // Multi-shot without a length: the shots' total, what the caller asked for.
    durationSeconds: body.durationSeconds ?? shotsTotal(body) ?? model.defaultDurationSeconds,
    aspectRatio: body.aspectRatio ?? model.aspectRatios[0] ?? '16:9',
    quality: body.quality ?? model.qualities[0] ?? 'std',
  };
  const details = [
    ...checkAgainstModel(body, mode, model, provider, capabilities),
    ...checkInputs(body, providers.allowLoopbackCallbackUrls, capabilities),
  ];
  // The provider's own rules read the whole request, so they run on one that fits the map.
  if (details.length === 0) details.push(...(capabilities.fit?.(request, mode, model) ?? []));
  if (details.length > 0) return { ok: false, details };
  return { ok: true, mode, request };
}

/**
 * Whether a resolved request (defaults filled in) fits its model in `mode`: the capability map's rules and then the
 * provider's own (`capabilities.fit`). Returns the problems, each naming the field, what was given and what is
 * allowed; empty when it fits. The adapter scaffold asks this at Submit, so an adapter never refuses a request
 * for a reason create would not have given. Input URLs and the callback URL are not checked here (create does).
 */
export function fitProblems(
  capabilities: ProviderCapabilities,
  model: ModelCapabilities,
  request: ResolvedRequest,
  mode: Mode,
): FieldProblem[] {
  const problems = checkAgainstModel(request, mode, model, request.provider, capabilities);
  if (problems.length === 0) problems.push(...(capabilities.fit?.(request, mode, model) ?? []));
  return problems;
}

/** What each feature is called in a 422, and the create-body field that asks for it. */
const FEATURES: Record<LimitedFeature, { what: string; asked: (body: CreateJobRequest) => boolean }> = {
  cfgScale: { what: 'cfgScale', asked: (body) => body.cfgScale !== undefined },
  audio: { what: 'native audio', asked: (body) => body.audio === true },
  cameraControl: { what: 'camera control', asked: (body) => body.cameraControl !== undefined },
  endImage: { what: 'an end frame', asked: (body) => body.endImage !== undefined },
  negativePrompt: { what: 'a negative prompt', asked: (body) => body.negativePrompt !== undefined },
  voice: { what: 'a voice', asked: (body) => body.voice !== undefined },
};

/** The options a model takes or not, each a flag of its capabilities named as the create-body field. */
type OptionFlag = 'cfgScale' | 'audio' | 'cameraControl' | 'endImage' | 'negativePrompt' | 'voice' | 'keepOriginalSound';

/** The axes of a `simple` camera movement (Kling's `camera_control.config`). */
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;

/**
 * The rest of a "not supported" problem: which of the provider's models take the option (`; kling models that take
 * it: kling-v1, kling-v1-6`), or that none does.
 */
const takenBy = (capabilities: ProviderCapabilities, provider: string, takes: (model: ModelCapabilities) => boolean): string => {
  const models = capabilities.models.filter(takes).map((m) => m.id);
  return models.length ? `; ${provider} models that take it: ${list(models)}` : `; no ${provider} model takes it`;
};

function checkAgainstModel(
  body: CreateJobRequest,
  mode: Mode,
  model: ModelCapabilities,
  provider: string,
  capabilities: ProviderCapabilities,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const name = `${provider} model ${model.id}`;
  // An option whose field has a capability flag of the same name (model.cfgScale for body.cfgScale…).
  const unsupported = (field: OptionFlag, what: string) =>
    problems.push({ path: field, message: `${what} is not supported by ${name}${takenBy(capabilities, provider, (m) => !!m[field])}` });

  if (!model.modes.includes(mode)) {
    problems.push({ path: modeField(mode), message: `${mode} is not supported by ${name}; allowed modes: ${list(model.modes)}` });
  }
  if (mode === 'text-to-video' && !body.prompt) {
    problems.push({ path: 'prompt', message: 'a prompt is required for text-to-video (or give image, referenceImages, video or shots)' });
  } else if (!body.prompt && model.promptRequiredIn?.includes(mode)) {
    problems.push({ path: 'prompt', message: `${name} needs a prompt for ${mode}` });
  }
  if (body.prompt !== undefined && model.maxPromptChars !== undefined && body.prompt.length > model.maxPromptChars) {
    problems.push({
      path: 'prompt',
      message: `${body.prompt.length} characters is too long for ${name}; allowed: at most ${model.maxPromptChars}`,
    });
  }
  if (
    body.negativePrompt !== undefined &&
    model.maxNegativePromptChars !== undefined &&
    body.negativePrompt.length > model.maxNegativePromptChars
  ) {
    problems.push({
      path: 'negativePrompt',
      message: `${body.negativePrompt.length} characters is too long for ${name}; allowed: at most ${model.maxNegativePromptChars}`,
    });
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
    if (!model.fps?.length) {
      problems.push({
        path: 'fps',
        message: `${name} does not take a frame rate${takenBy(capabilities, provider, (m) => !!m.fps?.length)}`,
      });
    } else if (!model.fps.includes(body.fps)) {
      problems.push({ path: 'fps', message: `${body.fps} is not allowed for ${name}; allowed: ${list(model.fps)}` });
    }
  }
  problems.push(...checkReferenceImages(body, mode, model, name));
  if (mode === 'image-to-video' && !body.image && model.startImageRequired) {
    problems.push({ path: 'image', message: `${name} needs a start frame (image) for image-to-video; an end frame alone is not enough` });
  }
  if (body.voice) {
    if (!model.voice) unsupported('voice', 'a voice');
    else {
      const forms = model.voiceForms ?? ['description', 'ids'];
      if (body.voice.description !== undefined && !forms.includes('description')) {
        problems.push({ path: 'voice.description', message: `${name} takes a voice as ${list(forms)} only, not as a description` });
      }
      if (body.voice.ids !== undefined && !forms.includes('ids')) {
        problems.push({ path: 'voice.ids', message: `${name} takes a voice as ${list(forms)} only, not as voice ids` });
      }
    }
    if (body.audio === false) problems.push({ path: 'voice', message: 'a voice needs audio; leave audio unset or true' });
  }
  if (body.keepOriginalSound !== undefined) {
    if (mode !== 'video-edit')
      problems.push({ path: 'keepOriginalSound', message: 'keepOriginalSound applies to video edits (give a video)' });
    else if (!model.keepOriginalSound) unsupported('keepOriginalSound', 'keeping the original sound');
  }
  if (body.endImage && body.cameraControl) {
    problems.push({ path: 'cameraControl', message: 'camera control cannot be combined with an end frame (endImage)' });
  }
  if (body.cameraControl) problems.push(...checkCameraControl(body.cameraControl));
  problems.push(...checkShots(body, mode, model, name));
  problems.push(...checkLimits(body, mode, model, name));
  return problems;
}

/** Reference images: up to the model's count, and only for reference-to-video or (where taken) beside a video edit. */
function checkReferenceImages(body: CreateJobRequest, mode: Mode, model: ModelCapabilities, name: string): FieldProblem[] {
  const count = body.referenceImages?.length ?? 0;
  if (count === 0) return [];
  if (mode === 'reference-to-video') {
    if (!model.modes.includes('reference-to-video')) return []; // the mode itself is refused
    const max = model.maxReferenceImages ?? 0;
    if (count <= max) return [];
    return [
      {
        path: 'referenceImages',
        message: max ? `${name} takes at most ${max} reference images, got ${count}` : `reference images are not supported by ${name}`,
      },
    ];
  }
  if (mode === 'video-edit') {
    const max = model.maxEditReferenceImages ?? 0;
    if (count <= max) return [];
    return [
      {
        path: 'referenceImages',
        message: max
          ? `${name} takes at most ${max} reference images beside a video edit, got ${count}`
          : `${name} takes no reference images beside a video edit`,
      },
    ];
  }
  return [{ path: 'referenceImages', message: `reference images cannot be combined with ${mode === 'multi-shot' ? 'shots' : mode}` }];
}

/**
 * Kling's camera movement rules, which every provider that takes `cameraControl` follows: the `simple` type moves
 * along exactly one axis (a config with one non-zero value), the named movements take no config.
 */
function checkCameraControl(cameraControl: NonNullable<CreateJobRequest['cameraControl']>): FieldProblem[] {
  if (cameraControl.type !== 'simple') {
    return cameraControl.config
      ? [{ path: 'cameraControl.config', message: `camera control ${cameraControl.type} takes no config; give it for type simple only` }]
      : [];
  }
  const moving = CAMERA_AXES.filter((axis) => (cameraControl.config?.[axis] ?? 0) !== 0);
  if (moving.length === 1) return [];
  return [
    {
      path: 'cameraControl.config',
      message: `camera control simple moves along exactly one axis (one non-zero value of ${list(CAMERA_AXES)}), got ${moving.length}`,
    },
  ];
}

/** Seconds the shots of a multi-shot request add up to; undefined without shots. */
const shotsTotal = (body: CreateJobRequest): number | undefined => body.shots?.reduce((sum, shot) => sum + shot.durationSeconds, 0);

/**
 * Shots: only for multi-shot, filling the video (its `durationSeconds`, or with none given, as long as the shots add
 * up to, a length the model makes), each of an allowed length, with or without a prompt beside them.
 */
function checkShots(body: CreateJobRequest, mode: Mode, model: ModelCapabilities, name: string): FieldProblem[] {
  if (!body.shots) return [];
  if (mode !== 'multi-shot') {
    return [{ path: 'shots', message: `shots make a multi-shot video and cannot be combined with ${mode} (video)` }];
  }
  if (!model.modes.includes('multi-shot')) return []; // the mode itself is refused; lengths would only mislead
  const problems: FieldProblem[] = [];
  const total = shotsTotal(body) ?? 0;
  if (body.durationSeconds !== undefined && total !== body.durationSeconds) {
    problems.push({
      path: 'shots',
      message: `shot durations add up to ${total} s but the video is ${body.durationSeconds} s; they must be equal`,
    });
  }
  // No durationSeconds: the video is as long as its shots, a length the model must make.
  if (body.durationSeconds === undefined && !model.durationsSeconds.includes(total)) {
    problems.push({
      path: 'shots',
      message: `shot durations add up to ${total} s, which is not a length ${name} makes; allowed: ${list(model.durationsSeconds)}`,
    });
  }
  const allowed = model.shotDurationsSeconds;
  if (allowed) {
    body.shots.forEach((shot, i) => {
      if (!allowed.includes(shot.durationSeconds)) {
        problems.push({
          path: `shots.${i}.durationSeconds`,
          message: `a shot of ${shot.durationSeconds} s is not allowed for ${name}; allowed: ${list(allowed)}`,
        });
      }
    });
  }
  if (body.prompt !== undefined && model.promptWithShots === false) {
    problems.push({ path: 'prompt', message: `${name} takes a multi-shot video as shots alone; leave prompt out (each shot has its own)` });
  }
  return problems;
}

/** The model's narrowings: a feature it takes elsewhere but not in this mode or quality. */
function checkLimits(body: CreateJobRequest, mode: Mode, model: ModelCapabilities, name: string): FieldProblem[] {
  const quality = body.quality ?? model.qualities[0];
  const problems: FieldProblem[] = [];
  for (const limit of model.limits ?? []) {
    const { modes, qualities } = limit.when;
    if (modes && !modes.includes(mode)) continue;
    if (qualities && (quality === undefined || !qualities.includes(quality))) continue;
    for (const feature of limit.without) {
      if (!model[feature] || !FEATURES[feature].asked(body)) continue;
      const where = [modes ? `for ${list(modes)}` : '', qualities ? `with quality ${list(qualities)}` : ''].filter(Boolean).join(' ');
      problems.push({ path: feature, message: `${FEATURES[feature].what} is not supported by ${name} ${where}: ${limit.because}` });
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
/** S3's limit on a key: 1,024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * Why `key` cannot name an uploaded image in the inputs bucket, or undefined. Each would fail later, deep in the
 * workflow, as an error of S3 or its client, so it is refused at create: a key outside `uploads/`, an empty, `.` or
 * `..` segment (`uploads//x.png`), more than {@link MAX_S3_KEY_BYTES} bytes, or a control character (U+0000–U+001F,
 * U+007F–U+009F), which no upload's file name holds either.
 */
export function s3KeyProblem(key: string): string | undefined {
  const segments = key.slice(UPLOAD_PREFIX.length).split('/');
  if (!key.startsWith(UPLOAD_PREFIX) || segments.some((part) => part === '' || part === '..' || part === '.')) {
    return `must be a key under ${UPLOAD_PREFIX} in the inputs bucket, with no empty, '.' or '..' segment`;
  }
  const bytes = new TextEncoder().encode(key).length;
  if (bytes > MAX_S3_KEY_BYTES) return `is ${bytes} bytes in UTF-8; an S3 key is at most ${MAX_S3_KEY_BYTES}`;
  if (/\p{Cc}/u.test(key)) return 'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)';
  return undefined;
}

function checkInputs(body: CreateJobRequest, allowLoopbackCallbackUrls = false, capabilities?: ProviderCapabilities): FieldProblem[] {
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
      const problem = s3KeyProblem(ref.s3Key);
      if (problem) problems.push({ path: `${path}.s3Key`, message: problem });
      continue;
    }
    const verdict = checkPublicUrl(ref.url);
    if (!verdict.ok) problems.push({ path: `${path}.url`, message: verdict.reason });
    else if (capabilities?.httpsInputs && !ref.url.toLowerCase().startsWith('https:')) {
      problems.push({ path: `${path}.url`, message: 'must be an https URL: this provider fetches its inputs over https only' });
    }
  }
  if (body.callbackUrl) {
    const verdict = checkPublicUrl(body.callbackUrl, { httpsOnly: true, allowLoopback: allowLoopbackCallbackUrls });
    if (!verdict.ok) problems.push({ path: 'callbackUrl', message: verdict.reason });
  }
  return problems;
}
