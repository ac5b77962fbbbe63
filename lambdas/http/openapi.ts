// The OpenAPI 3.1 document of the HTTP API (`GET /v1/openapi.json`, docs/api.md "OpenAPI"), generated from the route
// table (routes.ts) and the zod schemas the handlers use (schemas.ts) with zod's own JSON Schema export: there is
// no second, hand-written copy of any shape. What is written here is only what a schema cannot say: each
// operation's summary, its parameters and which status answers with which body. A route without an operation (or
// an operation without a route) fails `openApiDocument`, and the tests.
import * as z from '../domain/zod.ts';
import { JOB_ID_PATTERN } from '../domain/job.ts';
import { SHARED_OBJECTS } from '../domain/share-link.ts';
import { ROUTES, routeKey } from './routes.ts';
import {
  CreateJobRequest,
  ErrorBody,
  Job,
  JobAccepted,
  JobList,
  JobStatus,
  MAX_CURSOR_LENGTH,
  ProviderCatalog,
  SignedOutputUrl,
  UploadRequest,
  UploadTicket,
} from './schemas.ts';

/** One documented answer: its description, and its JSON body's schema (none for a redirect). */
interface Answer {
  description: string;
  body?: z.ZodMiniType;
  headers?: Record<string, string>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Record<string, unknown>;
}

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  /** The JSON request body (read as the caller sends it: zod's input side). */
  requestBody?: z.ZodMiniType;
  responses: Record<number, Answer>;
}

const jobIdParameter: Parameter = {
  name: 'jobId',
  in: 'path',
  required: true,
  description: 'a job id (job_…); anything else is 400 naming jobId',
  schema: { type: 'string', pattern: JOB_ID_PATTERN.source },
};

const error = (description: string): Answer => ({ description, body: ErrorBody });
const redirect = (description: string): Answer => ({ description, headers: { location: 'the signed S3 URL (short-lived)' } });

/** The answers every authenticated route can give besides its own (locally; on AWS API Gateway answers these). */
const AUTHENTICATED: Record<number, Answer> = {
  401: error('missing or wrong credentials (local stack: UNAUTHORIZED; on AWS API Gateway answers 401/403 itself)'),
  500: error('klingflow failed (INTERNAL); nothing the caller sent causes it'),
};

/** A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema 2020-12, without its `$schema`). */
function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return json as Record<string, unknown>;
}

/** Every route's operation, by route key (`GET /v1/jobs/{jobId}`). */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  'POST /v1/jobs': {
    operationId: 'createJob',
    summary: 'Create a job',
    description: 'Every problem is reported at once in a 422; nothing is written before the request fits the provider and model.',
    tags: ['jobs'],
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        description: '1–255 visible ASCII characters; the same key and body find the same job',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      },
    ],
    requestBody: CreateJobRequest,
    responses: {
      202: {
        description: 'accepted (or found again, for a repeated Idempotency-Key)',
        body: JobAccepted,
        headers: { location: 'the job' },
      },
      400: error('empty body, invalid JSON or a malformed Idempotency-Key'),
      409: error('the Idempotency-Key was used with a different body'),
      415: error('not sent as application/json, or compressed (Content-Encoding)'),
      422: error('the request does not fit the schema, provider or model (one detail per problem)'),
      429: {
        description:
          'a spend cap would be crossed (SPEND_CAP_REACHED: the message names the cap, the spend so far and when it resets); nothing was written',
        body: ErrorBody,
        headers: { 'retry-after': 'seconds until the cap resets' },
      },
    },
  },
  'GET /v1/jobs': {
    operationId: 'listJobs',
    summary: 'List jobs, newest first',
    tags: ['jobs'],
    parameters: [
      {
        name: 'status',
        in: 'query',
        description: 'only jobs in this status',
        schema: schemaOf(JobStatus, 'output'),
      },
      { name: 'provider', in: 'query', description: "only this provider's jobs", schema: { type: 'string', minLength: 1, maxLength: 64 } },
      { name: 'limit', in: 'query', description: 'page size', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      {
        name: 'cursor',
        in: 'query',
        description: 'nextCursor of the previous page, as it was',
        schema: { type: 'string', minLength: 1, maxLength: MAX_CURSOR_LENGTH, pattern: '^[A-Za-z0-9_-]+$' },
      },
    ],
    responses: { 200: { description: 'one page', body: JobList }, 400: error('an unknown parameter, or a bad value') },
  },
  'GET /v1/jobs/{jobId}': {
    operationId: 'getJob',
    summary: 'Read a job',
    tags: ['jobs'],
    parameters: [jobIdParameter],
    responses: { 200: { description: 'the job', body: Job }, 400: error('not a job id'), 404: error('no such job') },
  },
  'DELETE /v1/jobs/{jobId}': {
    operationId: 'cancelJob',
    summary: 'Cancel a job that has not finished',
    tags: ['jobs'],
    parameters: [jobIdParameter],
    responses: {
      200: { description: 'the cancelled job', body: Job },
      400: error('not a job id'),
      404: error('no such job'),
      409: error('the job has already finished (ALREADY_FINISHED)'),
    },
  },
  'GET /v1/jobs/{jobId}/video': {
    operationId: 'getVideo',
    summary: "Redirect to the job's archived video",
    description: 'With Accept: application/json, 200 with the same signed URL as JSON instead of the redirect.',
    tags: ['jobs'],
    parameters: [jobIdParameter],
    responses: {
      200: { description: 'the signed URL, as JSON (Accept: application/json)', body: SignedOutputUrl },
      302: redirect('the video'),
      400: error('not a job id'),
      404: error('no such job'),
      409: error('the job has not SUCCEEDED (NOT_READY)'),
    },
  },
  'GET /v1/jobs/{jobId}/thumbnail': {
    operationId: 'getThumbnail',
    summary: "Redirect to the job's archived thumbnail",
    description: 'With Accept: application/json, 200 with the same signed URL as JSON instead of the redirect.',
    tags: ['jobs'],
    parameters: [jobIdParameter],
    responses: {
      200: { description: 'the signed URL, as JSON (Accept: application/json)', body: SignedOutputUrl },
      302: redirect('the thumbnail'),
      400: error('not a job id'),
      404: error('no such job, or its provider gives no thumbnail'),
      409: error('the job has not SUCCEEDED (NOT_READY)'),
    },
  },
  'POST /v1/uploads': {
    operationId: 'createUpload',
    summary: 'Get a presigned upload for an image that becomes an image-to-video job',
    description:
      'The options are checked now (422 naming options.<field>); they are stored beside the key, and the PUT of the image starts the job, as any upload under uploads/ does. One job per ticket.',
    tags: ['uploads'],
    requestBody: UploadRequest,
    responses: {
      201: { description: 'the ticket', body: UploadTicket },
      400: error('empty body or invalid JSON'),
      415: error('not sent as application/json, or compressed (Content-Encoding)'),
      422: error('the file or the options do not fit (one detail per problem)'),
    },
  },
  'GET /v1/providers': {
    operationId: 'listProviders',
    summary: 'The enabled providers: models, what each allows, defaults, limits and prices',
    tags: ['providers'],
    responses: { 200: { description: 'the catalog', body: ProviderCatalog } },
  },
  'GET /v1/openapi.json': {
    operationId: 'getOpenApi',
    summary: 'This document',
    description: 'Public: it is the published contract and holds nothing about jobs or credentials.',
    tags: ['meta'],
    responses: { 200: { description: 'the OpenAPI 3.1 document', body: z.record(z.string(), z.unknown()) } },
  },
  'POST /v1/callbacks/{provider}/{jobId}': {
    operationId: 'receiveCallback',
    summary: "A provider's status callback (verified by its signature or per-job token, not by API credentials)",
    tags: ['callbacks'],
    parameters: [{ name: 'provider', in: 'path', required: true, description: 'provider id', schema: { type: 'string' } }, jobIdParameter],
    responses: {
      200: { description: 'received', body: z.object({ received: z.literal(true) }) },
      401: error('the callback did not verify (one answer for every refusal)'),
      413: error('the body is over 1 MB'),
      415: error('not JSON'),
      422: error('not UTF-8'),
      500: error('the callback could not be processed; the provider retries'),
      503: error('the callback could not be verified right now; the provider retries'),
    },
  },
  'GET /v1/share/{jobId}/{object}': {
    operationId: 'openShareLink',
    summary: 'Open a share link from a notice or webhook (signed and expiring; no credentials)',
    tags: ['jobs'],
    parameters: [
      jobIdParameter,
      { name: 'object', in: 'path', required: true, description: 'what the link opens', schema: { enum: [...SHARED_OBJECTS] } },
      { name: 'expires', in: 'query', description: 'Unix seconds', schema: { type: 'string' } },
      { name: 'sig', in: 'query', description: 'the signature', schema: { type: 'string' } },
    ],
    responses: {
      302: redirect('the object'),
      400: error('not a job id'),
      403: error('the link is expired or altered (LINK_REFUSED, naming link)'),
      404: error('no such job or object'),
      409: error('the job has not SUCCEEDED'),
      500: error('klingflow failed (INTERNAL)'),
    },
  },
};

/** Component names of the shared bodies, so the document names them once and refers to them. */
const COMPONENTS: readonly [string, z.ZodMiniType, 'input' | 'output'][] = [
  ['CreateJobRequest', CreateJobRequest, 'input'],
  ['UploadRequest', UploadRequest, 'input'],
  ['Job', Job, 'output'],
  ['JobAccepted', JobAccepted, 'output'],
  ['JobList', JobList, 'output'],
  ['UploadTicket', UploadTicket, 'output'],
  ['ProviderCatalog', ProviderCatalog, 'output'],
  ['Error', ErrorBody, 'output'],
];

const refOf = (schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> => {
  const named = COMPONENTS.find(([, s, side]) => s === schema && side === io);
  return named ? { $ref: `#/components/schemas/${named[0]}` } : schemaOf(schema, io);
};

/** The OpenAPI document's type, loosely: an object as JSON. */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/**
 * The OpenAPI 3.1 document of this API. `serverUrl`: the base URL to name as the server (the deployment's or the
 * local stack's public URL); absent: none named. Throws `Error` when a route has no operation or an operation no
 * route (a programming error, caught by the tests).
 */
export function openApiDocument(serverUrl?: string): OpenApiDocument {
  const keys = new Set(ROUTES.map(routeKey));
  for (const key of Object.keys(OPERATIONS)) if (!keys.has(key)) throw new Error(`openapi: operation ${key} has no route`);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const key = routeKey(route);
    const operation = OPERATIONS[key];
    if (!operation) throw new Error(`openapi: route ${key} has no operation`);
    // What the gateway itself answers before the handler runs: a path parameter that is not valid percent-encoding,
    // a body over the payload limit.
    const gateway: Record<number, Answer> = {};
    if (route.path.includes('{')) gateway[400] = error('a path parameter is not valid percent-encoding');
    if (route.method === 'POST') gateway[413] = error('the body is larger than the payload limit (10 MB)');
    const answers = { ...gateway, ...(route.auth ? AUTHENTICATED : {}), ...operation.responses };
    const responses = Object.fromEntries(
      Object.entries(answers).map(([status, answer]) => [
        status,
        {
          description: answer.description,
          ...(answer.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(answer.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
                ),
              }
            : {}),
          ...(answer.body ? { content: { 'application/json': { schema: refOf(answer.body, 'output') } } } : {}),
        },
      ]),
    );
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: operation.tags,
      ...(operation.parameters ? { parameters: operation.parameters } : {}),
      ...(operation.requestBody
        ? { requestBody: { required: true, content: { 'application/json': { schema: refOf(operation.requestBody, 'input') } } } }
        : {}),
      responses,
      // Either scheme: a bearer token (the local stack's, or a JWT with auth=jwt) or SigV4 (auth=iam).
      security: route.auth ? [{ bearer: [] }, { sigv4: [] }] : [],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'klingflow',
      version: '1',
      description: 'AI video generation jobs (Kling and its resellers) as a pipeline. The contract in prose: docs/api.md.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: Object.fromEntries(COMPONENTS.map(([name, schema, io]) => [name, schemaOf(schema, io)])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "the local stack's token, or a JWT where the deployment uses auth=jwt" },
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 (service execute-api), where the deployment uses auth=iam',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
