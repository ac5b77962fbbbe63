// One Secrets Manager secret per enabled provider, holding that provider's credentials. The stack creates them
// with empty credentials; the operator puts the provider-issued values in after the first deploy, so no secret
// value ever appears in the template or in a Lambda environment (functions get the ARN and read at run time).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The JSON keys of a provider secret (lambdas/domain/providers/adapter.ts ProviderCredentials). */
export const PROVIDER_SECRET_KEYS = ['apiKey', 'accessKey', 'secretKey', 'webhookSecret'] as const;

/** The key CloudFormation's generated value goes under; no handler reads it. */
export const GENERATED_PLACEHOLDER_KEY = 'placeholder';

/** Name of a provider's secret. */
export const providerSecretName = (providerId: string): string => `klingflow/providers/${providerId}`;

export interface ProviderSecretsProps {
  providerIds: readonly string[];
}

export class ProviderSecrets extends Construct {
  /** Secret per provider id. */
  readonly byProvider: ReadonlyMap<string, secretsmanager.Secret>;

  constructor(scope: Construct, id: string, props: ProviderSecretsProps) {
    super(scope, id);
    const byProvider = new Map<string, secretsmanager.Secret>();
    for (const providerId of props.providerIds) {
      const secret = new secretsmanager.Secret(this, `Provider-${providerId}`, {
        secretName: providerSecretName(providerId),
        description: `klingflow: credentials of provider "${providerId}" (${PROVIDER_SECRET_KEYS.join(', ')}); fill in after deploy`,
        // CloudFormation creates a secret from a template plus one generated key. The four credential keys start
        // empty (the handlers treat "" as not configured) and the generated value goes under a key nothing reads:
        // a random `webhookSecret` would look configured and make every signed callback fail verification.
        generateSecretString: {
          secretStringTemplate: JSON.stringify(Object.fromEntries(PROVIDER_SECRET_KEYS.map((key) => [key, '']))),
          generateStringKey: GENERATED_PLACEHOLDER_KEY,
          excludePunctuation: true,
          passwordLength: 32,
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      byProvider.set(providerId, secret);
    }
    this.byProvider = byProvider;
  }

  get secretArns(): string[] {
    return [...this.byProvider.values()].map((secret) => secret.secretArn);
  }
}
