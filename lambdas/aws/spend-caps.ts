// Where the spend caps come from: an SSM parameter (kept a minute, changeable without a redeploy) on AWS,
// `KLINGFLOW_SPEND_CAPS` on one machine. Apart from the counters (spend-store.ts), so only the handlers that check
// caps (api, submit) carry the SSM client.
import { parseSpendCaps, type SpendCaps } from '../domain/spend.ts';
import { parameterValue } from './clients/ssm.ts';
import { ENV } from './env.ts';

/** Seconds the caps read from SSM are cached in a warm Lambda: a change takes effect within this long. */
export const SPEND_CAPS_CACHE_SECONDS = 60;

/**
 * The caps in force: the SSM parameter named by `KLINGFLOW_SPEND_CAPS_PARAMETER` (JSON; cached
 * SPEND_CAPS_CACHE_SECONDS), else `KLINGFLOW_SPEND_CAPS` (JSON), else none (`{}`). Throws naming the source when the
 * value is not valid caps: a cap that cannot be read must stop jobs loudly, not let everything through.
 */
export async function spendCaps(): Promise<SpendCaps> {
  const parameter = process.env[ENV.spendCapsParameter];
  if (parameter) {
    const text = await parameterValue(parameter, SPEND_CAPS_CACHE_SECONDS);
    return text ? parseSpendCaps(text, `SSM parameter ${parameter}`) : {};
  }
  const text = process.env[ENV.spendCaps];
  return text ? parseSpendCaps(text, ENV.spendCaps) : {};
}
