// Stands in for @aws-sdk/credential-provider-node in the Lambda bundles only (lib/functions.ts, HANDLER_BUNDLING:
// an esbuild alias). The SDK's default chain tries the environment, then SSO, ini files, processes, web identity
// and the container and instance metadata services, and carries clients of its own for them (STS, SSO, SSO-OIDC,
// sign-in): ~140 KB of every bundle. A Lambda function's credentials are always in its environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the first link of that chain. Code run
// from source (the local stack, tests) keeps the SDK's own chain.
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The signature of the default chain's factory; the clients call it with their configuration. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
