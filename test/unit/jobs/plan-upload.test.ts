// Planning an upload ticket (POST /v1/uploads): every problem at once with its path, and a plan that follows the
// S3-upload contract (the key under uploads/<uploadId>/, the options as its manifest, the job id of the ticket).
import { describe, expect, it } from 'vitest';
import { jobIdForUpload, UPLOAD_ID_PATTERN, uploadIdOfKey, uploadOptions } from '../../../lambdas/domain/uploads.ts';
import { planUpload } from '../../../lambdas/jobs/plan-upload.ts';
import { acmeLookup } from './in-memory-jobs.ts';

const file = { fileName: 'my cat 猫.png', contentType: 'image/png', bytes: 1000 };

describe('planUpload', () => {
  it('plans a key of its own, the options as the manifest and the job id of the ticket', () => {
    const plan = planUpload(acmeLookup, { ...file, options: { prompt: '一只猫', durationSeconds: 10 } }, 'inputs');
    if (!plan.ok) throw new Error(JSON.stringify(plan.details));
    expect(plan.uploadId).toMatch(UPLOAD_ID_PATTERN);
    expect(plan.key).toBe(`uploads/${plan.uploadId}/my cat 猫.png`);
    expect(uploadIdOfKey(plan.key)).toBe(plan.uploadId);
    // The trigger reads the manifest as any upload's: the options come back as they were given.
    expect(uploadOptions(plan.key, {}, plan.manifest).request).toEqual({
      prompt: '一只猫',
      durationSeconds: 10,
      image: { s3Key: plan.key },
    });
    // One job per ticket, whatever version of the key arrives.
    expect(plan.jobId).toMatch(/^job_t[0-9a-f]{40}$/);
    expect(jobIdForUpload({ bucket: 'inputs', key: plan.key, versionId: 'v1' })).toBe(plan.jobId);
    expect(jobIdForUpload({ bucket: 'inputs', key: plan.key, versionId: 'v2' })).toBe(plan.jobId);
    expect(jobIdForUpload({ bucket: 'inputs', key: 'uploads/cat.png', versionId: 'v1' })).toMatch(/^job_u/);
    expect(planUpload(acmeLookup, file, 'inputs')).toMatchObject({ ok: true });
  });

  it('reports every problem at once, each by its path', () => {
    const plan = planUpload(
      acmeLookup,
      {
        fileName: 'a/b.Png',
        contentType: 'image/gif',
        bytes: 0,
        options: { video: { url: 'https://example.com/v.mp4' }, durationSeconds: 7 },
      },
      'inputs',
    );
    expect(plan.ok).toBe(false);
    const paths = plan.ok ? [] : plan.details.map((d) => d.path).sort();
    expect(paths).toEqual(['bytes', 'contentType', 'fileName', 'fileName']);
    const options = planUpload(
      acmeLookup,
      { ...file, options: { video: { url: 'https://example.com/v.mp4' }, durationSeconds: 7, x: 1 } },
      'inputs',
    );
    expect(options.ok ? [] : options.details).toEqual([
      { path: 'options.video', message: 'the uploaded image is the input; remove this field' },
      { path: 'options.x', message: 'unknown field' },
      { path: 'options.durationSeconds', message: expect.stringMatching(/allowed: 5, 10/) },
    ]);
  });

  it.each(['a\u0000.png', 'a\nb.png', 'a\u007f.png', 'a\u0085.png', 'a\u009f.png', 'a\\b.png'])(
    'refuses the file name %j: no slash, backslash or control character (C0, DEL, C1)',
    (fileName) => {
      const plan = planUpload(acmeLookup, { ...file, fileName }, 'inputs');
      expect(plan.ok ? [] : plan.details).toEqual([{ path: 'fileName', message: "must not contain '/', '\\' or control characters" }]);
    },
  );

  it('refuses what no field may hold, and options that are not an object', () => {
    const hostile = planUpload(
      acmeLookup,
      JSON.parse(`{"fileName":"a.png","contentType":"image/png","bytes":1,"options":{"__proto__":{}}}`),
      'b',
    );
    expect(hostile.ok ? [] : hostile.details.map((d) => d.path)).toEqual(['options.__proto__']);
    expect(planUpload(acmeLookup, { ...file, options: [1] }, 'b')).toEqual({
      ok: false,
      details: [{ path: 'options', message: 'must be a JSON object of create-body fields' }],
    });
    expect(planUpload(acmeLookup, 'a string', 'b').ok).toBe(false);
  });
});
