// The composition root's spend counters (see store.ts), without the caps: what correcting a job's spend needs.
import type { SpendGuard } from '../../jobs/ports.ts';
import { dynamo } from '../clients/dynamo.ts';
import { config } from '../env.ts';
import { SpendStore } from '../spend-store.ts';

/** The spend counters table of this deployment (or of the local stack). */
export const spendLedger = (): Pick<SpendGuard, 'ledger'> => ({ ledger: new SpendStore(dynamo(), config.spendTable()) });
