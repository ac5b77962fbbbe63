// The fal dialect's input schemas against fal's endpoint catalog (the input types of the installed `@fal-ai/client`):
// for every endpoint the simulator serves, every field the catalog lists is accepted, every value of every enum is
// accepted and a value outside it refused, a field the catalog requires is required, and a field it does not list is
// refused. The simulator stays the faithful stand-in the adapters and the official client are tested against.
import { describe, expect, it } from 'vitest';
import { FAL_ENDPOINTS_BEYOND_CATALOG } from '../../lambdas/providers/fal/facts.ts';
import { FAL_ENDPOINT_SCHEMAS } from '../../simulator/dialects/fal-schemas.ts';
import { type CatalogField, type CatalogType, readFalCatalog } from '../catalog/fal-catalog.ts';

const catalog = readFalCatalog();

function catalogInput(endpointId: string): Record<string, CatalogField> {
  const own = catalog.input(endpointId);
  if (own) return own;
  const listed = FAL_ENDPOINTS_BEYOND_CATALOG.find((entry) => entry.id === endpointId);
  const sibling = listed && catalog.input(listed.sameInputAs);
  if (!sibling) throw new Error(`the simulator serves ${endpointId}, which neither the catalog nor FAL_ENDPOINTS_BEYOND_CATALOG lists`);
  return sibling;
}

/**
 * A value of a catalog type that fal would accept: enums take "5" where they have it (fal's default duration, so
 * a shot fills a default video), strings their documented default ("Default value: `\"customize\"`") or, when named
 * `…url(s)`, a URL.
 */
function sample(type: CatalogType, name = '', description = ''): unknown {
  switch (type.kind) {
    case 'enum':
      return type.values.includes('5') ? '5' : type.values[0];
    case 'string': {
      const documented = /Default value: `"([^"]*)"`/.exec(description)?.[1];
      if (documented) return documented;
      return /urls?$/.test(name) ? 'https://cdn.example.test/a.png' : 'a red fox running through snow';
    }
    case 'number':
      return 0.5;
    case 'boolean':
      return true;
    case 'file':
      return 'https://cdn.example.test/a.png';
    case 'array':
      return [sample(type.of, name)];
    case 'object':
      return Object.fromEntries(Object.values(type.fields).map((field) => [field.name, sample(field.type, field.name, field.description)]));
    case 'other':
      throw new Error(`no sample for ${type.text}`);
  }
}

/** A body with every required field, and a prompt where the endpoint takes one (fal: prompt or multi_prompt). */
function minimalBody(input: Record<string, CatalogField>): Record<string, unknown> {
  const body = Object.fromEntries(
    Object.values(input)
      .filter((field) => field.required)
      .map((field) => [field.name, sample(field.type, field.name, field.description)]),
  );
  if (input.prompt && body.prompt === undefined) body.prompt = 'a red fox running through snow';
  return body;
}

/** The minimal body with one more field; shots replace the prompt (fal: "prompt or multi_prompt, not both"). */
function withField(input: Record<string, CatalogField>, field: CatalogField, value: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = { ...minimalBody(input), [field.name]: value };
  if (field.name === 'multi_prompt') delete body.prompt;
  return body;
}

const served = [...FAL_ENDPOINT_SCHEMAS.keys()];

describe.each(served)('fal dialect %s', (endpointId) => {
  const schema = FAL_ENDPOINT_SCHEMAS.get(endpointId)!;
  const input = catalogInput(endpointId);
  const accepts = (body: unknown) => {
    const outcome = schema.safeParse(body);
    return outcome.success ? 'accepted' : outcome.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  };

  it('accepts a body with the fields the catalog requires', () => {
    expect(accepts(minimalBody(input))).toBe('accepted');
  });

  it('accepts every field the catalog lists, and refuses one it does not', () => {
    for (const field of Object.values(input)) {
      expect(accepts(withField(input, field, sample(field.type, field.name, field.description))), field.name).toBe('accepted');
    }
    expect(accepts({ ...minimalBody(input), not_a_fal_field: true })).not.toBe('accepted');
  });

  it('requires what the catalog requires', () => {
    for (const field of Object.values(input).filter((entry) => entry.required)) {
      const { [field.name]: _left, ...without } = minimalBody(input);
      expect(accepts(without), `${field.name} left out`).not.toBe('accepted');
    }
  });

  it('takes every value of every enum the catalog lists, and nothing outside them', () => {
    for (const field of Object.values(input)) {
      if (field.type.kind !== 'enum') continue;
      for (const value of field.type.values) expect(accepts(withField(input, field, value)), `${field.name}=${value}`).toBe('accepted');
      expect(accepts(withField(input, field, 'not-a-catalog-value')), `${field.name} outside its enum`).not.toBe('accepted');
    }
    const shots = input.multi_prompt?.type;
    const shot = shots?.kind === 'array' && shots.of.kind === 'object' ? shots.of.fields.duration : undefined;
    if (shot?.type.kind === 'enum') {
      for (const seconds of shot.type.values) {
        const body = { ...withField(input, input.multi_prompt!, [{ prompt: 'one shot', duration: seconds }]), duration: undefined };
        // The shots fill the video: a single shot of N seconds makes an N-second video where the endpoint allows it.
        const fits = input.duration?.type.kind === 'enum' && input.duration.type.values.includes(seconds);
        if (fits) expect(accepts({ ...body, duration: seconds }), `a ${seconds} s shot`).toBe('accepted');
      }
      const twoAndThree = {
        ...withField(input, input.multi_prompt!, [
          { prompt: 'a', duration: '2' },
          { prompt: 'b', duration: '3' },
        ]),
        duration: '5',
      };
      expect(accepts(twoAndThree), 'a 2 s + 3 s multi-shot').toBe('accepted');
    }
  });
});

it('serves every Kling video endpoint klingflow sends to, and nothing the catalog and the listed pages lack', () => {
  for (const id of served) expect(() => catalogInput(id)).not.toThrow();
  for (const listed of FAL_ENDPOINTS_BEYOND_CATALOG) expect(served).toContain(listed.id);
});
