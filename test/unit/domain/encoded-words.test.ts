// The RFC 2047 codec of upload metadata against libmime, the library it replaced in the Lambda bundles: both
// directions agree on any text, in both encodings, and in the charsets S3 clients send.
import fc from 'fast-check';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { decodeWords, encodeWord } from '../../../lambdas/domain/encoded-words.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 120 });

describe('encoded-words', () => {
  it('decode what libmime encodes, base64 and quoted-printable, split into short words or not (property)', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('B', 'Q'), fc.constantFrom(0, 20, 40), (value, encoding, maxLength) => {
        const encoded = maxLength ? libmime.encodeWords(value, encoding, maxLength) : libmime.encodeWord(value, encoding);
        expect(decodeWords(encoded)).toBe(libmime.decodeWords(encoded));
      }),
      { numRuns: 300 },
    );
  });

  it('encode what libmime decodes back to the same text (property)', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(libmime.decodeWords(encodeWord(value))).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('read other charsets, mixed text, and words split inside a character as libmime does', () => {
    const cases = [
      '=?ISO-8859-1?Q?Caf=E9?= au lait',
      '=?windows-1251?B?z/Do4uXy?=',
      '=?Shift_JIS?B?gsiCsYKx?=',
      '=?UTF-8?B?5LiA?= =?UTF-8?B?5Y+q?= and =?utf-8?q?=C3=A9?=',
      '=?UTF-8?B?5L?= =?UTF-8?B?iA?=',
      '=?UTF-8*en?Q?hello_world?=',
      'before =?UTF-8?Q?x?=\t=?ISO-8859-1?Q?=E9?= after',
    ];
    for (const value of cases) expect(decodeWords(value), value).toBe(libmime.decodeWords(value));
  });

  it('leave a word in a charset nobody knows as written', () => {
    expect(decodeWords('=?x-unknown?Q?y?=')).toBe('=?x-unknown?Q?y?=');
  });
});
