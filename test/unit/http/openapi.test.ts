// The OpenAPI document: generated from the route table and the zod schemas, valid OpenAPI 3.1 by a well-kept
// validator, with an operation for every route and every body a named component.
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { OPERATIONS, openApiDocument } from '../../../lambdas/http/openapi.ts';
import { ROUTES, routeKey } from '../../../lambdas/http/routes.ts';

describe('the OpenAPI document', () => {
  const document = openApiDocument('https://api.example.com');

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table, and nothing else', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as { security: unknown[]; responses: object };
      expect(operation, routeKey(route)).toBeDefined();
      // Authenticated routes name their schemes (and may answer 401); public ones name none.
      expect(operation.security.length > 0, routeKey(route)).toBe(route.auth);
      expect(Object.keys(operation.responses).includes('401') || !route.auth).toBe(true);
    }
  });

  it('takes its shapes from the zod schemas: the create body refuses unknown fields and names its enums', () => {
    const schemas = (document as any).components.schemas;
    expect(schemas.CreateJobRequest.additionalProperties).toBe(false);
    expect(schemas.CreateJobRequest.properties.resolution.enum).toEqual(['720p', '1080p', '4k']);
    expect(schemas.Job.properties.status.enum).toContain('SUCCEEDED');
    expect(schemas.ProviderCatalog.properties.providers.type).toBe('array');
    expect(JSON.stringify(document).includes('"$schema"')).toBe(false);
    expect(document.servers).toEqual([{ url: 'https://api.example.com' }]);
  });
});
