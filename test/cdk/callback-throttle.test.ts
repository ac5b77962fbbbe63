// The provider callback route has a throttle of its own (issue 13): open to anyone, it must not share the API's.
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../lambdas/http/routes.ts';
import { API_THROTTLE, CALLBACK_THROTTLE } from '../../lib/api.ts';
import { synthesizeTemplate } from '../../lib/synth.ts';
import { asArray, type CfnTemplate, onlyResourceOfType, resourcesOfType } from './template-queries.ts';

let template: CfnTemplate;

beforeAll(() => {
  template = synthesizeTemplate();
});

describe('callback throttling', () => {
  it('gives each callback route its own, lower limit, and leaves the stage default to the API routes', () => {
    const [, stage] = onlyResourceOfType(template, 'AWS::ApiGatewayV2::Stage');
    const callbackKeys = ROUTES.filter((r) => r.handler === 'callback').map(routeKey);
    expect(callbackKeys).toEqual(['POST /v1/callbacks/{provider}/{jobId}']);
    expect(stage.Properties!.RouteSettings).toEqual(
      Object.fromEntries(
        callbackKeys.map((key) => [
          key,
          { ThrottlingRateLimit: CALLBACK_THROTTLE.rateLimit, ThrottlingBurstLimit: CALLBACK_THROTTLE.burstLimit },
        ]),
      ),
    );
    expect(stage.Properties!.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: API_THROTTLE.rateLimit,
      ThrottlingBurstLimit: API_THROTTLE.burstLimit,
    });
    expect(CALLBACK_THROTTLE.rateLimit).toBeLessThan(API_THROTTLE.rateLimit);
  });

  it('makes the stage wait for the callback route it names (CloudFormation refuses settings for a route not yet made)', () => {
    const [, stage] = onlyResourceOfType(template, 'AWS::ApiGatewayV2::Stage');
    const callbackRoute = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(
      ([, route]) => route.Properties!.RouteKey === 'POST /v1/callbacks/{provider}/{jobId}',
    );
    expect(callbackRoute).toBeDefined();
    expect(asArray(stage.DependsOn)).toContain(callbackRoute![0]);
  });
});
