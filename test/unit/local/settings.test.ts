// The local stack's settings (local/settings.ts): a bad value is refused with its variable named once.
import { expect, it } from 'vitest';
import { readSettings } from '../../../local/settings.ts';

it('names KLINGFLOW_SPEND_CAPS once, with the path and the shape it expects', () => {
  expect(() => readSettings({ KLINGFLOW_SPEND_CAPS: '{"daily":{"usd":0.01}}' })).toThrow(
    /^invalid local-stack settings:\n {2}KLINGFLOW_SPEND_CAPS: daily\.usd .*; expected \{"daily"\|"monthly": /,
  );
  expect(() => readSettings({ KLINGFLOW_SPEND_CAPS: '{' })).toThrow(/\n {2}KLINGFLOW_SPEND_CAPS: not valid JSON/);
  expect(() => readSettings({ KLINGFLOW_SPEND_CAPS: '{' })).not.toThrow(/KLINGFLOW_SPEND_CAPS: KLINGFLOW_SPEND_CAPS/);
  expect(readSettings({ KLINGFLOW_SPEND_CAPS: '{"daily":{"total":{"usd":5}}}' }).KLINGFLOW_SPEND_CAPS).toEqual({
    daily: { total: { usd: 5 } },
  });
});

it('tells a number setting given text what it was given, and one out of range its bound', () => {
  expect(() => readSettings({ KLINGFLOW_PORT: 'abc' })).toThrow("\n  KLINGFLOW_PORT: expected a number, got 'abc'");
  expect(() => readSettings({ KLINGFLOW_PORT: '70000' })).toThrow(/\n {2}KLINGFLOW_PORT: Too big: expected number to be <=65535/);
  expect(readSettings({ KLINGFLOW_PORT: '3100' }).KLINGFLOW_PORT).toBe(3100);
});
