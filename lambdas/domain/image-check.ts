// Checks an input image against what the provider takes (format, size, dimensions, aspect ratio) before it is
// sent, so a bad upload fails with a reason a person can act on and costs nothing at the provider.
import { imageSize } from 'image-size';
import type { ImageInputPolicy } from './capabilities.ts';

const ANY_PROVIDER: Pick<ImageInputPolicy, 'types'> = { types: ['jpg', 'png', 'webp'] };

export interface ImageFacts {
  type: string;
  width: number;
  height: number;
  bytes: number;
}

export type ImageVerdict = { ok: true; image: ImageFacts } | { ok: false; reason: string };

const ratio = (value: number): string => (value >= 1 ? `${+value.toFixed(2)}:1` : `1:${+(1 / value).toFixed(2)}`);

export function checkImage(bytes: Uint8Array, policy: ImageInputPolicy | undefined, what = 'the image'): ImageVerdict {
  const types = (policy ?? ANY_PROVIDER).types;
  let facts: ImageFacts;
  try {
    const size = imageSize(bytes);
    if (!size.type || !size.width || !size.height) throw new Error('no dimensions');
    facts = { type: size.type === 'jpeg' ? 'jpg' : size.type, width: size.width, height: size.height, bytes: bytes.length };
  } catch {
    return { ok: false, reason: `${what} is not an image in a format the provider takes (${types.join(', ')})` };
  }
  if (!types.includes(facts.type as ImageInputPolicy['types'][number])) {
    return { ok: false, reason: `${what} is ${facts.type}; the provider takes ${types.join(', ')}` };
  }
  if (!policy) return { ok: true, image: facts };
  if (facts.bytes > policy.maxBytes) {
    return {
      ok: false,
      reason: `${what} is ${(facts.bytes / 1048576).toFixed(1)} MB; the provider takes at most ${policy.maxBytes / 1048576} MB`,
    };
  }
  if (Math.min(facts.width, facts.height) < policy.minSide) {
    return {
      ok: false,
      reason: `${what} is ${facts.width}×${facts.height} px; the provider needs at least ${policy.minSide} px on each side`,
    };
  }
  const aspect = facts.width / facts.height;
  if (aspect < policy.minAspectRatio || aspect > policy.maxAspectRatio) {
    return {
      ok: false,
      reason: `${what} has an aspect ratio of ${ratio(aspect)}; the provider takes ${ratio(policy.minAspectRatio)} to ${ratio(policy.maxAspectRatio)}`,
    };
  }
  return { ok: true, image: facts };
}
