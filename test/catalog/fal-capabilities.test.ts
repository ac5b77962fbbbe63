// The fal capability map against fal's endpoint catalog (the input types shipped in the installed `@fal-ai/client`):
// every endpoint the adapter sends to exists there (or is listed, with its public source, in
// FAL_ENDPOINTS_BEYOND_CATALOG), every field it sends exists on that endpoint, every field the endpoint requires is
// always sent, and every enum and range the map allows is within the catalog's. A failure names the fact to change in
// lambdas/providers/fal/facts.ts. Updating `@fal-ai/client` re-runs all of it.
import { describe, expect, it } from 'vitest';
import type { CreateJobRequest, Mode } from '../../lambdas/domain/job.ts';
import { resolveRequest } from '../../lambdas/domain/validation.ts';
import { buildFalInput, SHOT_TYPE } from '../../lambdas/providers/fal/body.ts';
import {
  FAL_ASPECT_RATIOS,
  FAL_CAMERA_MOVEMENTS,
  FAL_CAMERA_PRESETS,
  FAL_CLASSIC_SECONDS,
  FAL_ENDPOINTS_BEYOND_CATALOG,
  FAL_MAX_VOICE_IDS,
  FAL_O3_EDIT_MAX_REFERENCE_IMAGES,
  FAL_SHOT_SECONDS,
  FAL_SHOT_TYPES,
  FAL_V16_MAX_REFERENCE_IMAGES,
  FAL_V3_SECONDS,
  falFieldsOf,
  type FalInputLayout,
} from '../../lambdas/providers/fal/facts.ts';
import { FAL_CAPABILITIES, FAL_ENDPOINT_PREFIX, FAL_MODELS, falEndpoints } from '../../lambdas/providers/fal/models.ts';
import type { ProviderLookup } from '../../lambdas/domain/validation.ts';
import { submittedMedia } from '../unit/providers/pipeline.ts';
import { type CatalogField, enumValues, readFalCatalog } from './fal-catalog.ts';

const catalog = readFalCatalog();
const FACTS = 'lambdas/providers/fal/facts.ts';

/** The catalog input an endpoint is held to: its own, or (for one the catalog lacks) the one it is listed as taking. */
function inputOf(endpointId: string): Record<string, CatalogField> {
  const own = catalog.input(endpointId);
  if (own) return own;
  const listed = FAL_ENDPOINTS_BEYOND_CATALOG.find((entry) => entry.id === endpointId);
  if (!listed) throw new Error(`${endpointId} is not in fal's endpoint catalog (@fal-ai/client ${catalog.version}) nor in ${FACTS}`);
  const sibling = catalog.input(listed.sameInputAs);
  if (!sibling) throw new Error(`${listed.sameInputAs} (the input ${endpointId} is listed as taking) is not in the catalog`);
  return sibling;
}

const where = (endpointId: string) => `${endpointId} (catalog @fal-ai/client ${catalog.version}; fix ${FACTS})`;

/** The field of the primary input a task always sends. */
function primaryInput(task: string, layout: FalInputLayout): string | undefined {
  if (task === 'image-to-video') return layout.startImage;
  if (task === 'reference-to-video' || task === 'elements') return layout.referenceImages;
  if (task === 'video-to-video/edit') return layout.video;
  return undefined;
}

const asNumbers = (values: string[] | undefined) => (values ?? []).map(Number);

describe("fal's endpoint catalog: every endpoint klingflow sends to", () => {
  const endpoints = falEndpoints();

  it('is in the catalog, or listed once with its public source and the catalog input it takes', () => {
    for (const { id } of endpoints) expect(() => inputOf(id), id).not.toThrow();
    for (const listed of FAL_ENDPOINTS_BEYOND_CATALOG) {
      expect(listed.source, listed.id).toMatch(/^fal's model page https:\/\/fal\.ai\/models\/fal-ai\/kling-video\//);
      expect(listed.source, listed.id).toContain(listed.id);
      expect(
        catalog.input(listed.id),
        `the catalog lists ${listed.id} now: remove it from FAL_ENDPOINTS_BEYOND_CATALOG in ${FACTS}`,
      ).toBeUndefined();
      expect(
        endpoints.map((endpoint) => endpoint.id),
        `${listed.id} is listed but not used`,
      ).toContain(listed.id);
    }
    expect(new Set(FAL_ENDPOINTS_BEYOND_CATALOG.map((listed) => listed.id)).size).toBe(FAL_ENDPOINTS_BEYOND_CATALOG.length);
  });

  it.each(endpoints.map((endpoint) => [endpoint.id, endpoint.layout] as const))('%s: every field sent exists there', (id, layout) => {
    const input = inputOf(id);
    for (const field of falFieldsOf(layout)) expect(Object.keys(input), `${field} on ${where(id)}`).toContain(field);
  });

  it.each(endpoints.map((endpoint) => [endpoint.id, endpoint.layout] as const))(
    '%s: every field it requires is always sent, and the prompt is required exactly when it requires one',
    (id, layout) => {
      const input = inputOf(id);
      const task = id.split('/').slice(4).join('/');
      const alwaysSent = [...(layout.prompt === 'required' ? ['prompt'] : []), primaryInput(task, layout)].filter(Boolean);
      for (const field of Object.values(input).filter((entry) => entry.required)) {
        expect(alwaysSent, `${field.name} is required by ${where(id)}`).toContain(field.name);
      }
      expect(layout.prompt === 'required', `prompt requiredness on ${where(id)}`).toBe(input.prompt?.required === true);
    },
  );

  it.each(endpoints.map((endpoint) => [endpoint.id, endpoint.layout] as const))('%s: the values sent are the catalog’s', (id, layout) => {
    const input = inputOf(id);
    if (layout.aspectRatio) expect(enumValues(input.aspect_ratio), where(id)).toEqual([...FAL_ASPECT_RATIOS]);
    if (layout.multiPrompt) {
      const shots = input.multi_prompt?.type;
      const shot = shots?.kind === 'array' && shots.of.kind === 'object' ? shots.of.fields : {};
      expect(asNumbers(enumValues(shot.duration)), `multi_prompt[].duration on ${where(id)}`).toEqual([...FAL_SHOT_SECONDS]);
      expect(Object.keys(shot).sort(), where(id)).toEqual(['duration', 'prompt']);
      const shotTypes = enumValues(input.shot_type);
      if (shotTypes) expect(shotTypes, where(id)).toEqual([...FAL_SHOT_TYPES]);
      else expect(input.shot_type?.type.kind, where(id)).toBe('string');
      expect(FAL_SHOT_TYPES).toContain(SHOT_TYPE);
    }
    if (layout.cameraControl) {
      expect(enumValues(input.camera_control), where(id)).toEqual([...FAL_CAMERA_PRESETS]);
      const advanced = input.advanced_camera_control?.type;
      const movement = advanced?.kind === 'object' ? advanced.fields.movement_type : undefined;
      expect(enumValues(movement), where(id)).toEqual([...FAL_CAMERA_MOVEMENTS]);
    }
    for (const file of [layout.startImage, layout.endImage, layout.video]) {
      if (file) expect(input[file]?.type, `${file} on ${where(id)}`).toEqual({ kind: 'file' });
    }
    if (layout.referenceImages) expect(input[layout.referenceImages]?.type, where(id)).toEqual({ kind: 'array', of: { kind: 'string' } });
    if (layout.voiceIds) {
      expect(input.voice_ids?.type, where(id)).toEqual({ kind: 'array', of: { kind: 'string' } });
      expect(input.voice_ids?.description, `FAL_MAX_VOICE_IDS against ${where(id)}`).toContain(`maximum ${FAL_MAX_VOICE_IDS} voices`);
    }
    for (const flag of ['cfg_scale'] as const) if (falFieldsOf(layout).includes(flag)) expect(input[flag]?.type.kind).toBe('number');
    for (const flag of ['generate_audio', 'keep_audio'] as const) {
      if (falFieldsOf(layout).includes(flag)) expect(input[flag]?.type.kind, `${flag} on ${where(id)}`).toBe('boolean');
    }
  });
});

describe("fal's endpoint catalog: every value the capability map allows", () => {
  it.each(FAL_MODELS.map((model) => [model.capabilities.id, model] as const))('%s: is within each of its endpoints’', (_id, model) => {
    const caps = model.capabilities;
    for (const [tier, tasks] of Object.entries(model.endpoints)) {
      for (const [task, layout] of Object.entries(tasks ?? {})) {
        const id = `${FAL_ENDPOINT_PREFIX}/${model.version}/${tier}/${task}`;
        const input = inputOf(id);
        if (layout.duration) {
          const allowed = asNumbers(enumValues(input.duration));
          for (const seconds of caps.durationsSeconds) expect(allowed, `${seconds} s on ${where(id)}`).toContain(seconds);
        }
        if (layout.aspectRatio) {
          for (const ratio of caps.aspectRatios) expect(enumValues(input.aspect_ratio), `${ratio} on ${where(id)}`).toContain(ratio);
        }
        if (layout.multiPrompt && caps.shotDurationsSeconds) {
          const shots = input.multi_prompt?.type;
          const shot = shots?.kind === 'array' && shots.of.kind === 'object' ? shots.of.fields : {};
          for (const seconds of caps.shotDurationsSeconds) expect(asNumbers(enumValues(shot.duration)), where(id)).toContain(seconds);
        }
        if (task === 'elements') {
          expect(input.input_image_urls?.description, `FAL_V16_MAX_REFERENCE_IMAGES against ${where(id)}`).toContain(
            `up to ${FAL_V16_MAX_REFERENCE_IMAGES} images`,
          );
          expect(caps.maxReferenceImages).toBeLessThanOrEqual(FAL_V16_MAX_REFERENCE_IMAGES);
        }
        if (task === 'video-to-video/edit') {
          expect(input.image_urls?.description, `FAL_O3_EDIT_MAX_REFERENCE_IMAGES against ${where(id)}`).toContain(
            `Maximum ${FAL_O3_EDIT_MAX_REFERENCE_IMAGES} total`,
          );
          expect(caps.maxEditReferenceImages).toBeLessThanOrEqual(FAL_O3_EDIT_MAX_REFERENCE_IMAGES);
        }
      }
    }
  });

  it('has the catalog’s own ranges in facts.ts', () => {
    expect(asNumbers(enumValues(inputOf('fal-ai/kling-video/v2.6/pro/text-to-video').duration))).toEqual([...FAL_CLASSIC_SECONDS]);
    expect(asNumbers(enumValues(inputOf('fal-ai/kling-video/v3/pro/text-to-video').duration))).toEqual([...FAL_V3_SECONDS]);
    expect(asNumbers(enumValues(inputOf('fal-ai/kling-video/o3/pro/text-to-video').duration))).toEqual([...FAL_V3_SECONDS]);
  });
});

// What buildFalInput really writes, for the widest request each model, mode and tier takes: every key is a field of
// the endpoint it goes to (so no field is sent that fal would ignore).
const OPTIONAL_FIELDS: CreateJobRequest[] = [
  { negativePrompt: 'blur' },
  { cfgScale: 0.4 },
  { audio: true },
  { voice: { ids: ['voice-a', 'voice-b'] } },
  { endImage: { url: 'https://cdn.example.test/end.png' } },
  { image: { url: 'https://cdn.example.test/start.png' } },
  { keepOriginalSound: true },
  { cameraControl: { type: 'forward_up' } },
  { aspectRatio: '9:16' },
];

const BASE_OF_MODE: Record<Mode, CreateJobRequest> = {
  'text-to-video': { prompt: 'a fox' },
  'image-to-video': { prompt: 'a fox', image: { url: 'https://cdn.example.test/start.png' } },
  'reference-to-video': { prompt: 'a fox', referenceImages: [{ url: 'https://cdn.example.test/ref.png' }] },
  'video-edit': { prompt: 'a fox', video: { url: 'https://cdn.example.test/in.mp4' } },
  'multi-shot': {
    durationSeconds: 5,
    shots: [
      { prompt: 'a', durationSeconds: 2 },
      { prompt: 'b', durationSeconds: 3 },
    ],
  },
};

const lookup: ProviderLookup = { capabilitiesOf: () => FAL_CAPABILITIES, enabledProviders: ['fal'], defaultProvider: 'fal' };

describe('what the fal adapter writes', () => {
  const cases = FAL_MODELS.flatMap((model) =>
    model.capabilities.modes.flatMap((mode) =>
      [
        ...model.capabilities.qualities.map((quality) => ({ quality })),
        ...(model.capabilities.resolutions ?? []).map((resolution) => ({ resolution })),
      ].map((choice) => [model.capabilities.id, mode, JSON.stringify(choice), choice] as const),
    ),
  );

  it.each(cases)('%s %s %s: only fields of its endpoint', (modelId, mode, _label, choice) => {
    let body: CreateJobRequest = { provider: 'fal', model: modelId, ...BASE_OF_MODE[mode], ...choice };
    const fits = (candidate: CreateJobRequest) => resolveRequest(candidate, lookup).ok;
    if (!fits(body)) return; // this mode has no endpoint at this tier: the fit check refuses it (tested in the unit tests)
    for (const extra of OPTIONAL_FIELDS) if (fits({ ...body, ...extra })) body = { ...body, ...extra };
    const resolution = resolveRequest(body, lookup);
    if (!resolution.ok) throw new Error('unreachable');
    const { endpointId, body: wire } = buildFalInput({
      jobId: 'job_catalog',
      mode: resolution.mode,
      request: resolution.request,
      media: submittedMedia(resolution.request),
    });
    const input = inputOf(endpointId);
    for (const key of Object.keys(wire)) expect(Object.keys(input), `${key} on ${where(endpointId)}`).toContain(key);
  });
});
