// The public HTTP API (docs/api.md, "Routes" and "Authentication"), built from the route table in
// lambdas/http/routes.ts that the local front door serves too. Authenticated routes use the authorizer chosen by
// context (IAM/SigV4 by default, or JWT); provider callbacks carry no AWS credentials and are authenticated by the
// callback handler (signature or per-job secret).
import { Lazy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_POLICY } from '../lambdas/http/cors.ts';
import { ROUTES, routeKey } from '../lambdas/http/routes.ts';
import type { Route } from '../lambdas/http/routes.ts';
import type { ApiAuth } from './config.ts';

/** Stage-wide throttling (per account and region the service limit still applies on top). */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * The provider callback route's own throttle: it is open to anyone (the handler verifies each callback), so a
 * flood of forged callbacks is held to this and cannot use up the API's limit. Providers send a few callbacks per
 * job; a throttled one is retried by the provider, and polling is the safety net.
 */
export const CALLBACK_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

export interface HttpApiProps {
  /** The functions behind the routes, by the route table's `handler`. */
  handlers: Readonly<Record<Route['handler'], IFunction>>;
  auth: ApiAuth;
  /** Browser origins CORS allows (context `corsOrigins`); the console adds its own with `allowOrigin`. */
  corsOrigins: readonly string[];
}

export class KlingflowHttpApi extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** Route per `routeKey` (`POST /v1/jobs`). */
  readonly routes: ReadonlyMap<string, apigw.HttpRoute>;
  private readonly corsOrigins: string[];

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);

    this.corsOrigins = [...props.corsOrigins];
    // CORS as lambdas/http/cors.ts says (the local front door answers the same way). The origins are read at
    // synthesis, so the console construct can add its CloudFront origin after the API is made (`allowOrigin`).
    // API Gateway answers preflights itself, before any authorizer.
    // With no origin at all, the API has no CORS configuration (browsers then refuse cross-origin calls).
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'klingflow: AI video jobs',
      createDefaultStage: false,
    });
    (this.httpApi.node.defaultChild as apigw.CfnApi).corsConfiguration = Lazy.any({
      produce: (): apigw.CfnApi.CorsProperty | undefined =>
        this.corsOrigins.length
          ? {
              allowOrigins: [...this.corsOrigins],
              allowMethods: [...CORS_POLICY.allowMethods],
              allowHeaders: [...CORS_POLICY.allowHeaders],
              exposeHeaders: [...CORS_POLICY.exposeHeaders],
              maxAge: CORS_POLICY.maxAgeSeconds,
              allowCredentials: false,
            }
          : undefined,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const authenticated = authorizerFor(props.auth);
    const unauthenticated = new apigw.HttpNoneAuthorizer();
    const integrations = {
      api: new HttpLambdaIntegration('ApiIntegration', props.handlers.api),
      callback: new HttpLambdaIntegration('CallbackIntegration', props.handlers.callback),
    } satisfies Record<Route['handler'], HttpLambdaIntegration>;

    const routes = new Map<string, apigw.HttpRoute>();
    for (const route of ROUTES) {
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrations[route.handler],
        authorizer: route.auth ? authenticated : unauthenticated,
      });
      if (!created) throw new Error(`No route created for ${routeKey(route)}`);
      routes.set(routeKey(route), created);
    }
    this.routes = routes;

    // Route-level throttling for the callback routes (the L2 stage only sets the stage default). CloudFormation
    // needs the routes to exist before the stage names them.
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    const callbackRoutes = ROUTES.filter((route) => route.handler === 'callback');
    cfnStage.routeSettings = Object.fromEntries(
      callbackRoutes.map((route) => [
        routeKey(route),
        { ThrottlingRateLimit: CALLBACK_THROTTLE.rateLimit, ThrottlingBurstLimit: CALLBACK_THROTTLE.burstLimit },
      ]),
    );
    for (const route of callbackRoutes) {
      const made = routes.get(routeKey(route));
      if (made) cfnStage.node.addDependency(made);
    }
  }

  /** Lets a browser origin (`https://host[:port]`, e.g. the console's CloudFront domain) call the API. */
  allowOrigin(origin: string): void {
    if (!this.corsOrigins.includes(origin)) this.corsOrigins.push(origin);
  }

  /** The API's base URL (the `$default` stage serves at the root), without a trailing slash. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }

  /** Routes that API Gateway does not authenticate (`auth: false` in the route table), with their table entry. */
  get unauthenticatedRoutes(): { route: Route; made: apigw.HttpRoute }[] {
    return ROUTES.filter((route) => !route.auth).map((route) => {
      const made = this.routes.get(routeKey(route));
      if (!made) throw new Error(`KlingflowHttpApi: route ${routeKey(route)} was not made`);
      return { route, made };
    });
  }
}

function authorizerFor(auth: ApiAuth): apigw.IHttpRouteAuthorizer {
  if (auth.kind === 'jwt') {
    return new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: auth.audience });
  }
  return new HttpIamAuthorizer();
}
