// The composition root's spend guard (see store.ts).
import type { SpendGuard } from '../../jobs/ports.ts';
import { dynamo } from '../clients/dynamo.ts';
import { config } from '../env.ts';
import { SpendStore, spendCaps } from '../spend-store.ts';

/** The spend guard: its counters table and the caps in force (SSM on AWS, `KLINGFLOW_SPEND_CAPS` locally). */
export const spendGuard = (): SpendGuard => ({ ledger: new SpendStore(dynamo(), config.spendTable()), caps: spendCaps });
