// Replicate's facts as the adapter keeps them (lambdas/providers/replicate/facts.ts) against the simulator's own
// reading of the same documents (simulator/dialects/replicate-*.ts). Replicate's client ships no model schemas to
// check either against, so the two independent readings are held to each other: when Replicate changes, one file on
// each side changes, and this test says which fact disagrees.
import { describe, expect, it } from 'vitest';
import {
  REPLICATE_ASPECT_RATIOS,
  REPLICATE_DURATIONS_SECONDS,
  REPLICATE_MODEL_V21,
  REPLICATE_MODEL_V25_TURBO_PRO,
  REPLICATE_STATUSES,
  REPLICATE_V21_MODES,
  REPLICATE_WEBHOOK_EVENT_NAMES,
  REPLICATE_WEBHOOK_EVENTS,
} from '../../lambdas/providers/replicate/facts.ts';
import { REPLICATE_MODELS } from '../../lambdas/providers/replicate/adapter.ts';
import { MODEL_INPUT_SCHEMAS, MODEL_VERSIONS, WEBHOOK_EVENTS } from '../../simulator/dialects/replicate-schemas.ts';

const FACTS = 'lambdas/providers/replicate/facts.ts';
const START = 'https://cdn.example.test/start.png';
const base = (model: string) => ({ prompt: 'a fox', ...(model === REPLICATE_MODEL_V21 ? { start_image: START } : {}) });
const accepts = (model: string, input: Record<string, unknown>) => MODEL_INPUT_SCHEMAS[model]?.safeParse(input).success;

describe('Replicate facts ⇄ the simulator’s Replicate', () => {
  it('runs the models the adapter offers, and knows a version of each', () => {
    expect(Object.keys(MODEL_INPUT_SCHEMAS).sort()).toEqual(REPLICATE_MODELS.map((model) => model.id).sort());
    expect(Object.values(MODEL_VERSIONS).sort()).toEqual([REPLICATE_MODEL_V21, REPLICATE_MODEL_V25_TURBO_PRO].sort());
  });

  it.each(REPLICATE_MODELS.map((model) => [model.id]))('%s takes every duration the facts allow, and no other', (model) => {
    for (const seconds of REPLICATE_DURATIONS_SECONDS)
      expect(accepts(model, { ...base(model), duration: seconds }), `${seconds} s (${FACTS})`).toBe(true);
    for (const seconds of [1, 7, 15]) expect(accepts(model, { ...base(model), duration: seconds }), `${seconds} s`).toBe(false);
  });

  it('kling-v2.5-turbo-pro takes the aspect ratios of the facts; kling-v2.1 its modes, and an end image in pro only', () => {
    for (const ratio of REPLICATE_ASPECT_RATIOS)
      expect(accepts(REPLICATE_MODEL_V25_TURBO_PRO, { prompt: 'a', aspect_ratio: ratio }), ratio).toBe(true);
    for (const mode of Object.values(REPLICATE_V21_MODES))
      expect(accepts(REPLICATE_MODEL_V21, { ...base(REPLICATE_MODEL_V21), mode }), mode).toBe(true);
    expect(accepts(REPLICATE_MODEL_V21, { ...base(REPLICATE_MODEL_V21), mode: REPLICATE_V21_MODES.pro, end_image: START })).toBe(true);
    expect(accepts(REPLICATE_MODEL_V21, { ...base(REPLICATE_MODEL_V21), mode: REPLICATE_V21_MODES.std, end_image: START })).toBe(false);
    expect(accepts(REPLICATE_MODEL_V21, { prompt: 'a' }), 'kling-v2.1 without a start image').toBe(false);
  });

  it('knows the same webhook events, and the adapter asks only for ones that exist', () => {
    expect([...WEBHOOK_EVENTS]).toEqual([...REPLICATE_WEBHOOK_EVENT_NAMES]);
    for (const event of REPLICATE_WEBHOOK_EVENTS) expect(REPLICATE_WEBHOOK_EVENT_NAMES).toContain(event);
  });

  it('reads every status the simulator renders', () => {
    for (const status of ['starting', 'processing', 'succeeded', 'failed', 'canceled'])
      expect(Object.keys(REPLICATE_STATUSES)).toContain(status);
  });
});
