// Planning an upload through the API (`POST /v1/uploads`): the file and the job options are checked now, against
// the chosen provider and model as a create is, so a client learns what is wrong before it sends any bytes. What it
// plans (a key of the ticket's own, the options as the manifest beside it) is the S3-upload contract of
// domain/uploads.ts, so the image becomes a job exactly as any upload under uploads/ does. Pure: the caller writes
// the manifest and signs the URL.
import { hostileProblems, parseLeniently } from '../domain/job.ts';
import { issueMessage, meaningfulIssues } from '../domain/schema-issues.ts';
import { jobIdForUpload, newUploadId, UPLOAD_PREFIX, UPLOAD_URL_SECONDS, UploadRequest, uploadFileProblems } from '../domain/uploads.ts';
import { resolveRequest, type FieldProblem, type ProviderLookup } from '../domain/validation.ts';

export type UploadPlan =
  | {
      ok: true;
      uploadId: string;
      jobId: string;
      bucket: string;
      key: string;
      /** The manifest to write beside the key (JSON of create-body fields). */
      manifest: string;
      contentType: string;
      bytes: number;
      expiresInSeconds: number;
    }
  | { ok: false; details: FieldProblem[] };

/** Inputs an upload cannot name: the uploaded image is the input. */
const INPUT_FIELDS = ['image', 'video', 'referenceImages'];

/**
 * Checks an upload request (`body`, as parsed JSON) and plans its ticket in `bucket`. Every problem at once, each
 * with its path: `fileName`, `contentType`, `bytes`, or `options.<field>` for a job option. Never throws.
 */
export function planUpload(providers: ProviderLookup, body: unknown, bucket: string): UploadPlan {
  const hostile = hostileProblems(body);
  if (hostile.length) return { ok: false, details: hostile };
  const parsed = UploadRequest.safeParse(body);
  if (!parsed.success) {
    const details = meaningfulIssues(parsed.error.issues).flatMap((issue): FieldProblem[] =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: key || 'body', message: 'unknown field; allowed: fileName, contentType, bytes, options' }))
        : [{ path: issue.path.length ? issue.path.join('.') : 'body', message: issueMessage(issue) }],
    );
    return { ok: false, details };
  }
  const { fileName, contentType, bytes } = parsed.data;
  const rawOptions = parsed.data.options ?? {};
  if (!rawOptions || typeof rawOptions !== 'object' || Array.isArray(rawOptions)) {
    return { ok: false, details: [{ path: 'options', message: 'must be a JSON object of create-body fields' }] };
  }
  const details: FieldProblem[] = [];
  const inputs = Object.keys(rawOptions).filter((field) => INPUT_FIELDS.includes(field));
  for (const field of inputs) {
    details.push({ path: `options.${field}`, message: 'the uploaded image is the input; remove this field' });
  }
  const candidate = Object.fromEntries(Object.entries(rawOptions).filter(([field]) => !INPUT_FIELDS.includes(field)));
  const options = parseLeniently(candidate);
  details.push(...options.problems.map((p) => ({ path: `options.${p.path}`, message: p.message })));

  const uploadId = newUploadId();
  const key = `${UPLOAD_PREFIX}${uploadId}/${fileName}`;
  const resolution = resolveRequest({ ...options.request, image: { s3Key: key } }, providers);
  if (!resolution.ok) {
    for (const d of resolution.details) {
      const path = d.path === 'image' || d.path.startsWith('image.') ? 'fileName' : `options.${d.path}`;
      if (!details.some((known) => known.path === path)) details.push({ path, message: d.message });
    }
  }
  const provider = options.request.provider ?? providers.defaultProvider;
  details.push(...uploadFileProblems({ fileName, contentType, bytes }, providers.capabilitiesOf(provider)?.imageInput));
  if (details.length || !resolution.ok) return { ok: false, details };

  return {
    ok: true,
    uploadId,
    jobId: jobIdForUpload({ bucket, key }),
    bucket,
    key,
    manifest: JSON.stringify(options.request),
    contentType,
    bytes,
    expiresInSeconds: UPLOAD_URL_SECONDS,
  };
}
