// Upload options as users write them: S3 user metadata only carries ASCII, so non-ASCII values travel as RFC 2047
// encoded-words and must reach the provider as the text the user typed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMetadataValue, encodeMetadataValue, uploadOptions } from '../../../lambdas/domain/uploads.ts';

describe('S3 metadata values', () => {
  it('decode the encoded-words S3 returns for non-ASCII metadata (base64 and quoted-printable)', () => {
    expect(decodeMetadataValue('=?UTF-8?B?5LiA5Y+q5bCP54yr5Zyo6Zuq5Zyw6YeM5aWU6LeR?=')).toBe('一只小猫在雪地里奔跑');
    expect(decodeMetadataValue('=?UTF-8?Q?caf=C3=A9_au_lait?=')).toBe('café au lait');
    expect(decodeMetadataValue('=?UTF-8?B?5LiA?= and =?UTF-8?B?5Y+q?=')).toBe('一 and 只');
  });

  it('leave plain ASCII, and text that only looks encoded, alone', () => {
    for (const value of ['the cat yawns', 'a = b', 'odd =? marker', '']) expect(decodeMetadataValue(value)).toBe(value);
  });

  it('encode only what S3 could not carry, as printable ASCII', () => {
    expect(encodeMetadataValue('the cat yawns')).toBe('the cat yawns');
    const encoded = encodeMetadataValue('一只小猫');
    expect(encoded).toMatch(/^[\x20-\x7e]+$/);
    expect(encoded).not.toBe('一只小猫');
  });

  it('round-trip any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const encoded = encodeMetadataValue(text);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeMetadataValue(encoded)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trip ASCII text that itself looks like an encoded-word (property)', () => {
    const lookalike = fc
      .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('=?UTF-8?B?5LiA?=', '=?', '=?x?Q?y?='), fc.string({ maxLength: 20 }))
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(lookalike, (text) => {
        expect(decodeMetadataValue(encodeMetadataValue(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('reach the job request decoded', () => {
    const { request, problems } = uploadOptions(
      'uploads/cat.png',
      { prompt: encodeMetadataValue('小猫 yawns'), duration: '10' },
      undefined,
    );
    expect(problems).toEqual([]);
    expect(request).toMatchObject({ prompt: '小猫 yawns', durationSeconds: 10, image: { s3Key: 'uploads/cat.png' } });
  });
});
