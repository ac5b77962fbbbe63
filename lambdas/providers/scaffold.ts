// The adapter scaffold: the work every provider adapter shares, done once (docs/architecture.md, 'Providers').
// Pure: no AWS, no I/O. An adapter keeps only its wire format (capabilities, request body, status and error mapping,
// auth and signature specifics) and leans on this module for the rest:
//
// - fitting a submission to its model (`fitSubmission`): the model's capabilities, the prepared media, and how to
//   refuse. Whether the request fits is asked once more of the same check create and the Validate step use
//   (`fitProblems`, lambdas/domain/validation.ts: the capability map and the provider's own `fit` rules), so a
//   refusal at Submit is always one create would have answered with a 422. What an adapter checks beyond that is
//   only the form of the prepared media (a URL where the wire format takes no base64...).
// - media (`preparedMedia`, `requireUrl`, `bareBase64`, `mediaTypeOfBase64`): Submit always prepares the request's
//   inputs (`SubmitRequest.media`); adapters read those and never the request's own refs.
// - model defaults (`modelFactory`): one way to declare "a model with these defaults and these overrides".
// - optional callbacks and cost (`POLLED_ONLY`, `parseCallbackOf`, `estimateCostOf`): a provider without callbacks
//   or without a price table declares nothing, and callers get one behaviour for the absence.
// - vocabulary helpers (`errorKindsOf`, `statusFrom`): the tables adapters declare as `ProviderVocabulary`.
import { CallbackRejected, ProviderError } from '../domain/errors.ts';
import type { ErrorKind } from '../domain/errors.ts';
import type { Cost, Mode, ResolvedRequest } from '../domain/job.ts';
import { fitProblems } from '../domain/validation.ts';
import { snippetOf } from './http.ts';
import type {
  AdapterContext,
  CallbackRequest,
  CanonicalStatus,
  ModelCapabilities,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderStatus,
  SubmitMedia,
  SubmitRequest,
} from './port.ts';

// ---------------------------------------------------------------------------------------------------------------
// Capabilities.

/**
 * What a provider with no callbacks and no cancel call declares in its capabilities: the workflow polls it.
 * (`callbackAuth` is moot then; `url-token` because nothing would be signed.) Such an adapter has no
 * `parseCallback` and no `cancel`.
 */
export const POLLED_ONLY = { callbacks: false, callbackAuth: 'url-token', cancel: false } as const satisfies Pick<
  ProviderCapabilities,
  'callbacks' | 'callbackAuth' | 'cancel'
>;

/** Everything a model declares except its id: what `modelFactory` takes as defaults. */
export type ModelDefaults = Omit<ModelCapabilities, 'id'>;

/**
 * A factory for a provider's models: `modelFactory(defaults)(id, overrides)` is the model `id` with `defaults`,
 * each overridden field replaced by `overrides`. Arrays are copied, so no two models share (and can mutate) one list.
 */
export function modelFactory(defaults: ModelDefaults): (id: string, overrides?: Partial<ModelDefaults>) => ModelCapabilities {
  return (id, overrides = {}) => {
    const model: ModelCapabilities = { id, ...defaults, ...overrides };
    const fields = model as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(fields)) if (Array.isArray(value)) fields[field] = [...(value as unknown[])];
    return model;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Fitting a submission to its model.

/** Builds the `ProviderError('invalid')` for a request an adapter cannot send; the message names provider and model. */
export type Refuse = (message: string) => ProviderError;

/** A refusal builder for `request`: messages read `<provider> <model>: <message>`. */
export function refusalFor(request: Pick<ResolvedRequest, 'provider' | 'model'>): Refuse {
  return (message) => new ProviderError('invalid', `${request.provider} ${request.model}: ${message}`);
}

/**
 * The capabilities of the model `modelId` of a provider. Throws `ProviderError('invalid')` naming the model and the
 * allowed ones when the provider has no such model (validation refuses that too; this keeps an adapter from guessing).
 */
export function modelFor(providerId: string, capabilities: ProviderCapabilities, modelId: string): ModelCapabilities {
  const model = capabilities.models.find((candidate) => candidate.id === modelId);
  if (model) return model;
  throw new ProviderError(
    'invalid',
    `${providerId}: '${modelId}' is not a ${providerId} model; allowed: ${capabilities.models.map((m) => m.id).join(', ')}`,
  );
}

/**
 * The media Submit prepared for a submission, checked against the request: every input the request names has its
 * prepared form, and nothing else is there (reference images one for one). Throws `ProviderError('invalid')` naming
 * the field otherwise, before anything is sent. The values are as Submit made them: an http(s) URL, or bare base64.
 */
export function preparedMedia(input: Pick<SubmitRequest, 'request' | 'media'>, refuse: Refuse): SubmitMedia {
  const { request, media } = input;
  const single: ['image' | 'endImage' | 'video', unknown, string | undefined][] = [
    ['image', request.image, media.image],
    ['endImage', request.endImage, media.endImage],
    ['video', request.video, media.video],
  ];
  for (const [field, ref, prepared] of single) {
    if (ref !== undefined && prepared === undefined) {
      throw refuse(`${field} was not prepared for the provider (Submit turns every input into a URL or base64 before sending)`);
    }
    if (ref === undefined && prepared !== undefined) throw refuse(`media.${field} was given, but the request has no ${field}`);
  }
  const named = request.referenceImages?.length ?? 0;
  const prepared = media.referenceImages?.length ?? 0;
  if (named !== prepared) throw refuse(`${prepared} prepared reference images for the ${named} the request names`);
  return media;
}

/** A submission fitted to its provider: what every adapter's request builder starts from. */
export interface FittedSubmission {
  /** The capabilities of the model the request names. */
  model: ModelCapabilities;
  /** The inputs as Submit prepared them (see `preparedMedia`). */
  media: SubmitMedia;
  /** Refusals for what the wire format cannot carry, naming provider and model. */
  refuse: Refuse;
}

/**
 * Fits a submission to a provider: finds the model (`modelFor`), asks the one fit check create asked
 * (`fitProblems`: the capability map, then the provider's `fit` rules) and reads the prepared media
 * (`preparedMedia`). Throws `ProviderError('invalid')` for an unknown model, a request that does not fit (the
 * message lists each problem as `<path>: <why>`, the words of the 422 create would have given), or media that do
 * not match the request.
 */
export function fitSubmission(input: SubmitRequest, capabilities: ProviderCapabilities): FittedSubmission {
  const { request, mode } = input;
  const model = modelFor(request.provider, capabilities, request.model);
  const refuse = refusalFor(request);
  const problems = fitProblems(capabilities, model, request, mode);
  if (problems.length > 0) throw refuse(problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '));
  return { model, media: preparedMedia(input, refuse), refuse };
}

// ---------------------------------------------------------------------------------------------------------------
// Media forms.

/**
 * A prepared input as a URL, for an API that fetches its inputs and takes no base64. Returns `value`; throws
 * `ProviderError('invalid')` naming `field` when it is not an absolute http(s) URL (or not https with `httpsOnly`).
 */
export function requireUrl(value: string, field: string, refuse: Refuse, options: { httpsOnly?: boolean } = {}): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  const allowed = options.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (protocol === undefined || !allowed.includes(protocol)) {
    throw refuse(
      `${field} must be ${options.httpsOnly ? 'an https' : 'an http(s)'} URL; this API takes no base64${options.httpsOnly ? ' and no plain http' : ''}`,
    );
  }
  return value;
}

/** Base64 without a `data:<type>;base64,` prefix (for APIs that want the bare bytes); anything else as it is. */
export function bareBase64(value: string): string {
  return value.replace(/^data:[^,;]*;base64,/i, '');
}

/**
 * The media type that base64 data starts like: PNG, JPEG, GIF, WebP, MP4 / QuickTime (`ftyp`) or WebM; undefined
 * when its first bytes match none of them.
 */
export function mediaTypeOfBase64(base64: string): string | undefined {
  const head = Buffer.from(base64.slice(0, 24), 'base64');
  const text = (start: number, end: number) => head.subarray(start, end).toString('latin1');
  if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'image/png';
  if (head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (text(0, 4) === 'GIF8') return 'image/gif';
  if (text(0, 4) === 'RIFF' && text(8, 12) === 'WEBP') return 'image/webp';
  if (text(4, 8) === 'ftyp') return text(8, 10) === 'qt' ? 'video/quicktime' : 'video/mp4';
  if (head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))) return 'video/webm';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Optional callbacks and cost.

/**
 * An incoming callback parsed by the adapter of its provider. A provider that sends no callbacks has no
 * `parseCallback`: anything arriving for it is refused with `CallbackRejected` naming the provider (the callback
 * handler answers 401). Otherwise whatever the adapter's `parseCallback` returns or throws.
 */
export async function parseCallbackOf(adapter: ProviderAdapter, callback: CallbackRequest, ctx: AdapterContext): Promise<ProviderStatus> {
  if (!adapter.parseCallback) {
    throw new CallbackRejected(`${adapter.id} sends no callbacks (its tasks are polled), so this request did not come from it`);
  }
  return adapter.parseCallback(callback, ctx);
}

/**
 * The adapter's cost estimate for a request (non-negative credits and/or USD), or undefined when its provider
 * publishes no price table or the table has no row for the request.
 */
export function estimateCostOf(adapter: ProviderAdapter, request: ResolvedRequest, mode: Mode): Omit<Cost, 'estimated'> | undefined {
  return adapter.estimateCost?.(request, mode);
}

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary.

/** An error-code table whose entries carry a kind (and a meaning, a status...), as code → kind for `ProviderVocabulary`. */
export function errorKindsOf<Entry extends { kind: ErrorKind }>(
  table: Readonly<Record<string | number, Entry>>,
): Record<string, ErrorKind> {
  return Object.fromEntries(Object.entries(table).map(([code, { kind }]) => [code, kind]));
}

/**
 * The canonical status of a provider's status word from its table. A word the table does not hold means the
 * provider changed its contract: `ProviderError('server')` naming `what` (e.g. "klinggenerator job 42"), the word
 * and the known ones.
 */
export function statusFrom(table: Readonly<Record<string, CanonicalStatus>>, word: string, what: string): CanonicalStatus {
  const status = Object.hasOwn(table, word) ? table[word] : undefined;
  if (status) return status;
  throw new ProviderError('server', `${what} has status '${snippetOf(word)}', which is not one of ${Object.keys(table).join(', ')}`);
}
