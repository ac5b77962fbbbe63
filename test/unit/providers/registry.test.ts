import { describe, expect, it } from 'vitest';
import { PROVIDER_IDS, getAdapter, isProviderId } from '../../../lambdas/domain/providers/registry.ts';

describe('provider registry', () => {
  it('knows kling', () => {
    expect(PROVIDER_IDS).toEqual(['kling']);
    expect(isProviderId('kling')).toBe(true);
    const adapter = getAdapter('kling');
    expect(adapter.id).toBe('kling');
    expect(getAdapter('kling')).toBe(adapter);
  });

  it('every adapter is registered under its own id', () => {
    for (const id of PROVIDER_IDS) expect(getAdapter(id).id).toBe(id);
  });

  it('names the known providers when asked for an unknown one', () => {
    expect(() => getAdapter('runway')).toThrow("unknown provider 'runway'; known providers: kling");
    expect(isProviderId('toString')).toBe(false);
    expect(() => getAdapter('toString')).toThrow(/unknown provider/);
  });
});
