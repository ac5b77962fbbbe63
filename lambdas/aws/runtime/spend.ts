// The composition root's spend guard (see store.ts): the counters and the caps in force.
import type { SpendGuard } from '../../jobs/ports.ts';
import { spendCaps } from '../spend-caps.ts';
import { spendLedger } from './spend-ledger.ts';

/** The spend guard: its counters table and the caps in force (SSM on AWS, `KLINGFLOW_SPEND_CAPS` locally). */
export const spendGuard = (): SpendGuard => ({ ...spendLedger(), caps: spendCaps });
