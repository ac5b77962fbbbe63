// RFC 2047 encoded-words, the form S3 gives non-ASCII user metadata (`=?UTF-8?B?5LiA5Y+q?=`). Decoding uses the
// platform's TextDecoder (every WHATWG encoding label), so the Lambda bundles carry no charset tables of their own
// (libmime with iconv-lite was ~570 KB of the upload handler's bundle for two functions). The unit tests check both
// directions against libmime.

/** One encoded-word: charset (an RFC 2231 `*language` suffix allowed), encoding, encoded text. */
const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;

/** Only whitespace separates two adjacent encoded-words; it is not part of the text (RFC 2047 §6.2). */
const BETWEEN_WORDS = /^[ \t\r\n]+$/;

/** The bytes of a Q-encoded word's text. */
function qBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(text[i] === '_' ? 0x20 : text.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(bytes);
}

function decoderFor(charset: string): InstanceType<typeof TextDecoder> | undefined {
  try {
    return new TextDecoder(charset.toLowerCase());
  } catch {
    return undefined;
  }
}

/** Adjacent encoded-words in one charset, decoded together. */
class Run {
  private readonly bytes: Uint8Array[] = [];
  /** A base64 word cut short of a 4-character group, which the next word completes (some writers split words
   * anywhere, and libmime reads them so). */
  private base64 = '';
  end: number;

  constructor(
    readonly charset: string,
    readonly start: number,
  ) {
    this.end = start;
  }

  add(encoding: string, text: string, end: number): void {
    if (this.base64.length % 4 === 0) {
      this.bytes.push(Buffer.from(this.base64, 'base64'));
      this.base64 = '';
    }
    if (encoding.toUpperCase() === 'B') this.base64 += text;
    else this.bytes.push(qBytes(text));
    this.end = end;
  }

  /** The text, or the words as written when the platform does not know the charset. */
  text(value: string): string {
    const decoder = decoderFor(this.charset);
    return decoder ? decoder.decode(Buffer.concat([...this.bytes, Buffer.from(this.base64, 'base64')])) : value.slice(this.start, this.end);
  }
}

/**
 * Text with its encoded-words decoded. Adjacent words in one charset are joined before decoding (a character may be
 * split between them); a word in a charset the platform does not know is left as written.
 */
export function decodeWords(value: string): string {
  let out = '';
  let last = 0;
  let run: Run | undefined;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [word, charset = '', encoding = '', text = ''] = match;
    const gap = value.slice(last, match.index);
    const adjacent = run !== undefined && (gap === '' || BETWEEN_WORDS.test(gap));
    if (!run || !adjacent || run.charset.toLowerCase() !== charset.toLowerCase()) {
      if (run) out += run.text(value);
      if (!adjacent) out += gap;
      run = new Run(charset, match.index);
    }
    last = match.index + word.length;
    run.add(encoding, text, last);
  }
  if (run) out += run.text(value);
  return out + value.slice(last);
}

/** One UTF-8, base64 encoded-word holding `value`. */
export const encodeWord = (value: string): string => `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
