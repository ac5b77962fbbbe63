// fast-check arbitraries for what a client or a stranger can send klingflow: create bodies (valid ones, hostile
// ones, and everything between), S3 metadata and manifests, path parameters, list queries and cursors, and
// provider callbacks. Bodies are built as raw JSON text from key/value entries, so they can hold what JavaScript
// objects cannot carry safely (`__proto__` keys, duplicate keys, lone surrogates, invalid JSON).
import fc from 'fast-check';
import { JOB_STATUSES } from '../../lambdas/domain/job.ts';
import { PROVIDER_IDS } from '../../lambdas/providers/ids.ts';
import { loadAdapters } from '../../lambdas/providers/registry.ts';

const getAdapter = await loadAdapters();

/** A JSON value as text: `raw` is written into the body verbatim. */
export interface RawJson {
  raw: string;
}

/** A body: an object of entries (serialised in order, duplicates kept), or text sent as it is. */
export type FuzzBody = { entries: [string, unknown][] } | { text: string };

/** Serialises a value, writing `RawJson` verbatim and `{entries}` objects entry by entry. */
export function toJson(value: unknown): string {
  if (value && typeof value === 'object' && 'raw' in value && typeof (value as RawJson).raw === 'string') return (value as RawJson).raw;
  if (value && typeof value === 'object' && 'entries' in value && Array.isArray((value as { entries: unknown }).entries)) {
    const entries = (value as { entries: [string, unknown][] }).entries;
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') return toJson({ entries: Object.entries(value) });
  return JSON.stringify(value) ?? 'null';
}

export const bodyText = (body: FuzzBody): string => ('text' in body ? body.text : toJson(body));

const RESERVED = ['__proto__', 'constructor', 'prototype'];
/** Lone surrogates, as the JSON escapes a client would send them. */
const SURROGATE_ESCAPES = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\ud83d', '\\ude00'];

/** Strings that have hurt parsers and stores: lone surrogates (as JSON escapes), controls, huge and odd ones. */
export const hostileString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...SURROGATE_ESCAPES).map((escaped) => ({ raw: `"a ${escaped} b"` })),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n\r',
    '\u2028',
    '%ZZ',
    '%',
    '../..',
    '$\u007bx}',
    '{{x}}',
    "'; DROP TABLE jobs; --",
    '<script>',
    '\ufeff',
  ),
  fc.integer({ min: 2049, max: 12_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
);

/** Any JSON value, sometimes deep or with reserved keys inside. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 9, max: 200 }).map((depth) => ({ raw: `${'['.repeat(depth)}1${']'.repeat(depth)}` })) },
  { weight: 1, arbitrary: fc.constantFrom(...RESERVED).map((key) => ({ entries: [[key, { entries: [['polluted', true]] }]] })) },
  { weight: 1, arbitrary: fc.constantFrom(1e300, -1e300, 5e-324, -0, 1e-200, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: hostileString },
);

const HOSTILE_URLS = [
  'https://example.com\\@127.0.0.1/',
  'http://[::ffff:0:7f00:1]/',
  'http://[2002:7f00:1::]/',
  'http://localhost../',
  'http://127.1/',
  'http://0x7f000001/',
  'http://2130706433/',
  'http://[::1]/',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://metadata.google.internal/',
  'http://instance-data/',
  'http://①②⑦.⓪.⓪.①/',
  'http://example.com@127.0.0.1/',
  'http://1.1.1.1 &@2.2.2.2# @3.3.3.3/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_',
  'http://[fe80::1%25eth0]/',
  'http://example.com:0/',
  'javascript:alert(1)',
];

/** A URL: fine, hostile, huge, or not a URL at all. */
export const urlValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_URLS) },
  { weight: 1, arbitrary: fc.constantFrom(2049, 100 * 1024, 400 * 1024).map((n) => `https://example.com/${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: anyJson },
);

const mediaRef: fc.Arbitrary<unknown> = fc.oneof(
  urlValue.map((url) => ({ entries: [['url', url]] })),
  fc
    .oneof(fc.constantFrom('uploads/cat.png', 'uploads/../secret', 'private/x.png', ''), hostileString)
    .map((key) => ({ entries: [['s3Key', key]] })),
  fc.tuple(urlValue, fc.string()).map(([url, key]) => ({
    entries: [
      ['url', url],
      ['s3Key', key],
    ],
  })),
  anyJson,
);

const metadataValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 4, noNullPrototype: true }),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...RESERVED, '', 'k'.repeat(129)), fc.string({ maxLength: 10 })),
        fc.oneof(fc.string(), hostileString, anyJson),
      ),
      {
        maxLength: 4,
      },
    )
    .map((entries) => ({ entries })),
  anyJson,
);

/** For each field of the create body: valid values, boundary values, and anything at all. */
const FIELD_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  provider: fc.oneof(fc.constantFrom(...PROVIDER_IDS), fc.constantFrom('nope', 'KLING', ...RESERVED), hostileString, anyJson),
  model: fc.oneof(fc.constantFrom('kling-v3', 'kling-v1', 'kling-o3', 'kwaivgi/kling-v2.5-turbo-pro', 'kling-3'), hostileString, anyJson),
  prompt: fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 80 }) }, { weight: 2, arbitrary: hostileString }, anyJson),
  negativePrompt: fc.oneof(fc.string({ maxLength: 40 }), hostileString, anyJson),
  durationSeconds: fc.oneof(fc.constantFrom(5, 10, 3, 15, 0, -1, 601, 5.5), anyJson),
  resolution: fc.oneof(fc.constantFrom('720p', '1080p', '4k', '8k'), anyJson),
  aspectRatio: fc.oneof(fc.constantFrom('16:9', '9:16', '1:1', '4:3'), anyJson),
  quality: fc.oneof(fc.constantFrom('std', 'pro', 'max'), anyJson),
  cfgScale: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constantFrom(0.5, 1e-200, 5e-324), anyJson),
  audio: fc.oneof(fc.boolean(), anyJson),
  voice: fc.oneof(
    fc.record({ description: fc.string({ maxLength: 30 }) }),
    fc.record({ ids: fc.array(fc.oneof(fc.string({ maxLength: 10 }), hostileString), { maxLength: 3 }) }),
    anyJson,
  ),
  fps: fc.oneof(fc.constantFrom(24, 30, 60, 0, 121), anyJson),
  image: mediaRef,
  endImage: mediaRef,
  referenceImages: fc.oneof(fc.array(mediaRef, { maxLength: 9 }), anyJson),
  video: mediaRef,
  keepOriginalSound: fc.oneof(fc.boolean(), anyJson),
  cameraControl: fc.oneof(
    fc.record({
      type: fc.constantFrom('simple', 'down_back', 'spin'),
      config: fc.dictionary(fc.constantFrom('zoom', 'pan', 'tilt', 'speed', ...RESERVED), fc.oneof(fc.double({ noNaN: true }), anyJson), {
        maxKeys: 3,
        noNullPrototype: true,
      }),
    }),
    anyJson,
  ),
  shots: fc.oneof(
    fc.array(
      fc.record({
        prompt: fc.oneof(fc.string({ maxLength: 20 }), hostileString),
        durationSeconds: fc.oneof(fc.integer({ min: -1, max: 20 }), fc.constant(1e300)),
      }),
      { maxLength: 7 },
    ),
    anyJson,
  ),
  callbackUrl: urlValue,
  metadata: metadataValue,
};

/** Text a person writes: any well-formed Unicode, never blank. */
const text = (maxLength: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength }).filter((t) => t.trim().length > 0);

/**
 * A body that fits its provider and model (from the capability maps): any provider, any model, a prompt of any
 * well-formed Unicode, options the model lists, metadata of any well-formed keys and values. Most are accepted;
 * the rest break a limit by chance (metadata over 2 KB, say).
 */
const validBody: fc.Arbitrary<[string, unknown][]> = fc.constantFrom(...PROVIDER_IDS).chain((provider) => {
  const capabilities = getAdapter(provider).capabilities;
  return fc.constantFrom(...capabilities.models).chain((model) => {
    const textToVideo = model.modes.includes('text-to-video');
    const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
    return fc
      .record({
        provider: fc.constant(provider),
        model: fc.constant(model.id),
        prompt: textToVideo ? text(300) : optional(text(300)),
        image: textToVideo ? fc.constant(undefined) : fc.constant({ url: 'https://img.example.com/start.png' }),
        durationSeconds: optional(fc.constantFrom(...model.durationsSeconds)),
        aspectRatio: optional(fc.constantFrom(...model.aspectRatios)),
        quality: optional(fc.constantFrom(...model.qualities)),
        resolution: model.resolutions?.length ? optional(fc.constantFrom(...model.resolutions)) : fc.constant(undefined),
        negativePrompt: model.negativePrompt ? optional(fc.string({ unit: 'grapheme', maxLength: 100 })) : fc.constant(undefined),
        cfgScale: model.cfgScale ? optional(fc.integer({ min: 0, max: 100 }).map((n) => n / 100)) : fc.constant(undefined),
        callbackUrl: optional(fc.constantFrom('https://hooks.example.com/klingflow', 'http://127.0.0.1:9/hook')),
        metadata: optional(
          fc.dictionary(
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((k) => !RESERVED.includes(k)),
            fc.string({ unit: 'grapheme', maxLength: 60 }),
            { maxKeys: 4, noNullPrototype: true },
          ),
        ),
      })
      .map((body) => Object.entries(body).filter(([, value]) => value !== undefined));
  });
});

/** A create body: mostly objects of known fields (each value valid or not), some unknown or reserved fields, some not objects at all. */
export const createBody: fc.Arbitrary<FuzzBody> = fc.oneof(
  { weight: 4, arbitrary: validBody.map((entries) => ({ entries })) },
  {
    // A fitting body with one field replaced by anything at all.
    weight: 2,
    arbitrary: fc
      .tuple(
        validBody,
        fc.constantFrom(...Object.keys(FIELD_VALUES)).chain((field) => FIELD_VALUES[field]!.map((value) => [field, value] as const)),
      )
      .map(([entries, [field, value]]) => ({ entries: [...entries.filter(([k]) => k !== field), [field, value] as [string, unknown]] })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc
          .subarray(Object.keys(FIELD_VALUES), { maxLength: 6 })
          .chain((fields) => fc.tuple(...fields.map((f) => FIELD_VALUES[f]!.map((v) => [f, v] as [string, unknown])))),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...RESERVED, 'promt', 'extra'), fc.string({ maxLength: 12 })), anyJson), {
          maxLength: 2,
        }),
        fc.nat(9),
      )
      .map(([known, unknown, roll]) => ({ entries: roll < 7 ? known : [...known, ...unknown] })),
  },
  { weight: 1, arbitrary: anyJson.map((value) => ({ text: toJson(value) })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '{', '{"prompt":', 'null', '[]', '{"prompt":"x"}}'))
      .map((text) => ({ text })),
  },
);

/** Headers of a create: mostly JSON, sometimes another or no content type, sometimes an idempotency key of any kind. */
export const createHeaders: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'APPLICATION/JSON',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'multipart/form-data; boundary=x',
          '',
        ),
      },
    ),
    fc.option(fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), fc.constantFrom('', ' ', 'k'.repeat(256))), { freq: 5 }),
  )
  .map(([type, key]) => ({ ...(type ? { 'content-type': type } : {}), ...(key !== null ? { 'idempotency-key': key } : {}) }));

/** A path segment as it goes into a URL: ids, near-ids, huge ones, percent-encoded junk, and broken encodings. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^job_[0-9a-z]{26}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
  fc.integer({ min: 81, max: 5000 }).map((n) => 'j'.repeat(n)),
  fc.constantFrom('%ZZ', '%', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '%C0%AF', '%ED%A0%80', 'job_%F0%9F%A6%8A', '%25'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
);

/** A list query: real and fake parameters, limits of every kind, forged cursors. */
export const listQuery: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('status'), fc.oneof(fc.constantFrom(...JOB_STATUSES, 'DONE', ''), fc.string({ maxLength: 10 }))),
    fc.tuple(fc.constant('provider'), fc.oneof(fc.constantFrom(...PROVIDER_IDS), fc.string({ maxLength: 70 }))),
    fc.tuple(
      fc.constant('limit'),
      fc.oneof(fc.constantFrom('1', '20', '100', '0', '101', '-1', '1e2', 'NaN', 'Infinity', '0x10', ''), fc.string({ maxLength: 5 })),
    ),
    fc.tuple(fc.constant('cursor'), cursorText()),
    fc.tuple(fc.oneof(fc.constantFrom(...RESERVED, 'limit ', 'x'), fc.string({ maxLength: 8 })), fc.string({ maxLength: 8 })),
  ),
  { maxLength: 4 },
);

/** Forged cursors: base64url of arbitrary JSON (including the right shape with wrong values), and garbage. */
export function cursorText(): fc.Arbitrary<string> {
  const b64 = (value: unknown) => Buffer.from(toJson(value)).toString('base64url');
  return fc.oneof(
    fc.constantFrom('eyJhIjoiYiJ9', 'e30', 'bnVsbA', 'W10', '!!!', ''),
    anyJson.map(b64),
    fc
      .record({
        jobId: fc.oneof(fc.stringMatching(/^job_[0-9a-z]{26}$/), fc.string({ maxLength: 90 })),
        kind: fc.oneof(fc.constant('JOB'), fc.string({ maxLength: 5 })),
        status: fc.constantFrom(...JOB_STATUSES, 'X'),
        createdAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string({ maxLength: 30 }),
        ),
      })
      .chain((key) => fc.subarray(Object.entries(key), { minLength: 1 }).map((entries) => b64({ entries }))),
    fc.integer({ min: 1025, max: 3000 }).map((n) => 'A'.repeat(n)),
    fc.base64String({ maxLength: 200 }),
  );
}

/** A callback's headers: none, garbage, or well-formed signature headers with wrong values. */
export const callbackHeaders: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.oneof(
      { weight: 9, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', '') },
    ),
    fc.option(fc.constantFrom('msg_x', '', 'a'.repeat(300)), { nil: undefined }),
    fc.option(
      fc.oneof(
        fc.integer({ min: 0, max: 2 ** 40 }).map(String),
        fc.constant(String(Math.floor(Date.now() / 1000))),
        fc.string({ maxLength: 12 }),
      ),
      { nil: undefined },
    ),
    fc.option(
      fc.oneof(
        fc.base64String({ maxLength: 60 }).map((s) => `v1,${s}`),
        fc.string({ maxLength: 40 }),
      ),
      { nil: undefined },
    ),
    fc.option(fc.oneof(fc.stringMatching(/^[0-9a-f]{128}$/), fc.string({ maxLength: 20 })), { nil: undefined }),
  )
  .map(([type, id, timestamp, signature, falSignature]) => ({
    ...(type ? { 'content-type': type } : {}),
    ...(id !== undefined ? { 'webhook-id': id } : {}),
    ...(timestamp !== undefined ? { 'webhook-timestamp': timestamp, 'x-fal-webhook-timestamp': timestamp } : {}),
    ...(signature !== undefined ? { 'webhook-signature': signature } : {}),
    ...(falSignature !== undefined
      ? { 'x-fal-webhook-signature': falSignature, 'x-fal-webhook-request-id': 'req', 'x-fal-webhook-user-id': 'user' }
      : {}),
  }));

/** A callback body: provider-shaped objects with fuzzed values, or anything. */
export const callbackBody: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      id: fc.oneof(fc.string({ maxLength: 20 }), anyJson),
      status: fc.oneof(fc.constantFrom('starting', 'processing', 'succeeded', 'failed', 'canceled', 'OK', 'COMPLETED'), anyJson),
      output: urlValue,
      task_id: fc.string({ maxLength: 20 }),
      task_status: fc.constantFrom('submitted', 'processing', 'succeed', 'failed'),
      task_info: fc.record({ external_task_id: fc.oneof(fc.stringMatching(/^job_[0-9a-z]{26}$/), anyJson) }),
      request_id: fc.string({ maxLength: 20 }),
      payload: anyJson,
    })
    .chain((record) => fc.subarray(Object.entries(record)).map((entries) => toJson({ entries }))),
  anyJson.map(toJson),
  fc.string({ maxLength: 60 }),
);

/** S3 user metadata an uploader can send (names S3 lower-cases; values printable ASCII, as S3 headers carry them). */
export const s3Metadata: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'prompt',
      'negative-prompt',
      'provider',
      'model',
      'duration',
      'resolution',
      'aspect-ratio',
      'quality',
      'cfg-scale',
      'audio',
      'fps',
      'callback-url',
      'end-image-key',
      'constructor',
      '__proto__',
      'prototype',
      'tostring',
    ),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
  ),
  fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,40}$/), fc.constantFrom('5', '1e300', '-1', 'true', 'TRUE', 'nope', 'http://127.0.0.1/', '')),
  { maxKeys: 4, noNullPrototype: true },
);

/** A manifest beside an upload: a create body's text, or anything at all. */
export const manifestText: fc.Arbitrary<string | undefined> = fc.option(
  fc.oneof(
    createBody.map(bodyText),
    fc.constantFrom(
      '{"metadata": {"constructor": "v"}}',
      '{"__proto__": {"prompt": "x"}}',
      '{"prompt": "\\ud800"}',
      '{"image": {"url": "https://example.com/x.png"}}',
    ),
  ),
  { nil: undefined, freq: 3 },
);
