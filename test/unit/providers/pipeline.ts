// What the pipeline does around an adapter, for adapter tests: the media Submit prepares (`submittedMedia`), and the
// validation every request passes before Submit calls an adapter (`validationProblems`). The capability map is
// checked there, once, so an adapter test that asserts a request outside the map never reaches the provider asserts
// it through validation.
import type { MediaRef, ResolvedRequest } from '../../../lambdas/domain/job.ts';
import { modeOf } from '../../../lambdas/domain/job.ts';
import { resolveRequest, type FieldProblem } from '../../../lambdas/domain/validation.ts';
import type { SubmitMedia, SubmitRequest } from '../../../lambdas/providers/port.ts';
import { loadAdapters } from '../../../lambdas/providers/registry.ts';

const getAdapter = await loadAdapters();

/**
 * The media Submit sends for a request whose inputs are public URLs: `mediaForProvider` (lambdas/aws/s3-media.ts)
 * passes each `{url}` input through as it is. `{s3Key}` inputs are left out, as if Submit had not prepared them (a
 * test that wants one prepared gives the signed URL or base64 itself).
 */
export function submittedMedia(request: Pick<ResolvedRequest, 'image' | 'endImage' | 'referenceImages' | 'video'>): SubmitMedia {
  const url = (ref: MediaRef | undefined) => (ref && 'url' in ref ? ref.url : undefined);
  const media: SubmitMedia = {};
  const image = url(request.image);
  const endImage = url(request.endImage);
  const video = url(request.video);
  const referenceImages = (request.referenceImages ?? []).map(url).filter((value): value is string => value !== undefined);
  if (image !== undefined) media.image = image;
  if (endImage !== undefined) media.endImage = endImage;
  if (referenceImages.length > 0) media.referenceImages = referenceImages;
  if (video !== undefined) media.video = video;
  return media;
}

/**
 * What validation (resolveRequest against the provider's registered capability map, as the API and the workflow's
 * Validate step run it) finds wrong with a submission's request: its problems, each with the field path; empty when
 * it passes. A request whose inputs make another mode than the submission's is a problem too (`mode`).
 */
export function validationProblems({ request, mode }: Pick<SubmitRequest, 'request' | 'mode'>): FieldProblem[] {
  const capabilities = getAdapter(request.provider).capabilities;
  const outcome = resolveRequest(request, {
    capabilitiesOf: (id) => (id === request.provider ? capabilities : undefined),
    enabledProviders: [request.provider],
    defaultProvider: request.provider,
  });
  if (!outcome.ok) return outcome.details;
  if (modeOf(request) !== mode) return [{ path: 'mode', message: `the request's inputs make ${modeOf(request)}, not ${mode}` }];
  return [];
}
