// One client per AWS service per process, created on first use. Each service has its own module
// (clients/dynamo.ts, sfn.ts, sns.ts and secrets-manager.ts on aws-lite; s3.ts on aws4) so a handler's bundle
// carries only the clients that handler imports; a barrel of them all would put every client in every bundle.
// Endpoints come from the SDK's own settings, which the aws-lite clients read too (aws-lite.ts, endpointOf): on one
// machine the local stack sets AWS_ENDPOINT_URL_<SERVICE>.
// A client is remade when those settings change, which only happens when the local stack starts again in the
// same process with new emulator ports (a Lambda's environment never changes).
import { config } from '../env.ts';

/** The settings a client is made from; a new value means a new client. */
const settingsOf = (service: string): string =>
  [
    process.env.AWS_REGION,
    process.env[`AWS_ENDPOINT_URL_${service}`],
    process.env.AWS_ENDPOINT_URL,
    process.env.AWS_ACCESS_KEY_ID,
    config.s3ForcePathStyle(),
  ].join('|');

/** A getter of the one client of `service`, made by `make` on first use and again when its settings change. */
export const perSettings = <T>(service: string, make: () => T): (() => T) => {
  let made: { key: string; client: T } | undefined;
  return () => {
    const key = settingsOf(service);
    if (made?.key !== key) made = { key, client: make() };
    return made.client;
  };
};
