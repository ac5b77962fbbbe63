// The aws-lite clients as the Lambda bundles carry them: built with the handlers' esbuild settings (HANDLER_BUNDLING,
// minified CommonJS, aws-lite's unused vendored modules left out: externalModulesOf), loaded as the runtime loads a
// handler, and called over real sockets. The local stack runs the
// handlers from source, so this is where a client that only breaks once bundled would show.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AWS_LITE_VENDORED, externalModulesOf, handlerBuildOptions, PROJECT_ROOT } from '../../../lib/functions.ts';
import type { LocalDynamo } from '../../../local/emulators/dynamodb.ts';
import { startThingsTable } from './loopback.ts';

// The JSON APIs, bundled as every handler but SNS's callers is: without aws-lite's marshaller or XML parser.
const JSON_ENTRY = `
import { dynamo, isConditionFailed } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/dynamo.ts'))};
import { sfn } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/sfn.ts'))};
export async function handler() {
  const db = dynamo();
  await db.put({ TableName: 'things', Item: { pool: 'p', entry: 'x', n: 1, gone: undefined } });
  const got = await db.get({ TableName: 'things', Key: { pool: 'p', entry: 'x' }, ConsistentRead: true });
  const updated = await db.update({
    TableName: 'things', Key: { pool: 'p', entry: 'x' }, UpdateExpression: 'SET n = n + :one',
    ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'ALL_NEW',
  });
  const queried = await db.query({
    TableName: 'things', KeyConditionExpression: '#pool = :pool', ExpressionAttributeNames: { '#pool': 'pool' },
    ExpressionAttributeValues: { ':pool': 'p' }, Limit: 1,
  });
  const conditionFailed = await db
    .put({ TableName: 'things', Item: { pool: 'p', entry: 'x' }, ConditionExpression: 'attribute_not_exists(entry)' })
    .then(() => false, isConditionFailed);
  await db.delete({ TableName: 'things', Key: { pool: 'p', entry: 'x' } });
  const deleted = await db.get({ TableName: 'things', Key: { pool: 'p', entry: 'x' }, ConsistentRead: true });
  const described = await sfn()('DescribeExecution', { executionArn: 'arn:x' }).catch((e) => e.name);
  return { got, updated, queried, conditionFailed, deleted, described };
}
`;

// SNS (query protocol, XML answers), bundled as its callers are: with aws-lite's XML parser.
const SNS_ENTRY = `
import { sns } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/sns.ts'))};
export async function handler() {
  const publish = (topic) => sns()('Publish', { TopicArn: topic, Message: 'm' }).then(() => 'published', (e) => e.name);
  return { known: await publish('arn:known'), unknown: await publish('arn:x') };
}
`;

// The JSON clients against a front end that answers in HTML (a proxy's 503), as every handler but SNS's callers
// bundles them.
const PROXY_ENTRY = `
import { dynamo } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/dynamo.ts'))};
import { sfn } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/sfn.ts'))};
const seen = (e) => ({ status: e.statusCode, html: String(e.message).includes('<h1>503') });
export async function handler() {
  const db = await dynamo().get({ TableName: 'things', Key: { pool: 'p', entry: 'x' } }).then(() => 'answered', seen);
  const states = await sfn()('DescribeExecution', { executionArn: 'arn:x' }).then(() => 'answered', seen);
  return { db, states };
}
`;

let dynamo: LocalDynamo;
let api: Server;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startThingsTable();
  // Step Functions (JSON) answers ExecutionDoesNotExist; SNS (query, XML) publishes to arn:known and answers that it
  // does not know any other topic.
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      if (req.headers['x-amz-target'] === 'AWSStepFunctions.DescribeExecution') {
        res
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
          .end(JSON.stringify({ __type: 'ExecutionDoesNotExist', message: 'no' }));
      } else if (new URLSearchParams(body).get('TopicArn') === 'arn:known') {
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end('<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>');
      } else {
        res
          .writeHead(404, { 'content-type': 'text/xml' })
          .end('<ErrorResponse><Error><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>');
      }
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SFN: apiUrl,
    AWS_ENDPOINT_URL_SNS: apiUrl,
  });
});

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await new Promise((resolve) => api.close(resolve));
  await dynamo.close();
});

/** Builds `source` with the handlers' settings, leaving out `external`; the bundle's text and its handler. */
async function bundled(name: string, source: string, external: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), `klingflow-bundled-${name}-`));
  writeFileSync(join(dir, 'entry.ts'), source);
  const outfile = join(dir, 'index.js');
  const result = await build({ ...handlerBuildOptions(join(dir, 'entry.ts'), outfile, undefined, external), logLevel: 'silent' });
  expect(result.warnings).toEqual([]);
  const { handler } = createRequire(import.meta.url)(outfile) as { handler: () => Promise<unknown> };
  return { text: readFileSync(outfile, 'utf8'), handler };
}

it("the JSON clients work bundled without aws-lite's marshaller and XML parser: items both ways, pages, a failed condition, error codes", async () => {
  const { text, handler } = await bundled('json', JSON_ENTRY, externalModulesOf('api'));
  expect(externalModulesOf('api')).toEqual([AWS_LITE_VENDORED.marshaller, AWS_LITE_VENDORED.xmlParser]);
  // Left out, not carried: a require of each stays, their code does not (fast-xml-parser's validator, the
  // marshaller's error for a number past 2^53).
  for (const module of externalModulesOf('api')) expect(text.includes(`require("${module}")`), module).toBe(true);
  expect(text.includes('XMLValidator')).toBe(false);
  expect(await handler()).toEqual({
    got: { Item: { pool: 'p', entry: 'x', n: 1 } },
    updated: { Attributes: { pool: 'p', entry: 'x', n: 2 } },
    queried: { Items: [{ pool: 'p', entry: 'x', n: 2 }], Count: 1, LastEvaluatedKey: { pool: 'p', entry: 'x' } },
    conditionFailed: true,
    deleted: {},
    described: 'ExecutionDoesNotExist',
  });
}, 60_000);

it('the SNS client works bundled as its callers are, with the XML parser: a publish, and the code of an XML error', async () => {
  const { text, handler } = await bundled('sns', SNS_ENTRY, externalModulesOf('notify'));
  expect(text.includes('XMLValidator')).toBe(true);
  expect(await handler()).toEqual({ known: 'published', unknown: 'NotFound' });
}, 60_000);

it("an answer that is not JSON (a proxy's HTML 503) is an error for the caller after the retries, not an uncaught exception", async () => {
  const targets: string[] = [];
  const proxy = createServer((req, res) => {
    targets.push(String(req.headers['x-amz-target']));
    req.resume();
    req.on('end', () =>
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body><h1>503 Service Unavailable</h1></body></html>'),
    );
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const before = { dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB, sfn: process.env.AWS_ENDPOINT_URL_SFN };
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: proxyUrl, AWS_ENDPOINT_URL_SFN: proxyUrl });
  const uncaught = vi.fn();
  process.on('uncaughtException', uncaught);
  try {
    const { handler } = await bundled('proxy', PROXY_ENTRY, externalModulesOf('api'));
    expect(await handler()).toEqual({ db: { status: 503, html: true }, states: { status: 503, html: true } });
    expect(uncaught).not.toHaveBeenCalled();
    // Three attempts each (AWS_RETRIES = 2 after the first), as for any 5xx.
    expect(targets).toEqual([...Array(3).fill('DynamoDB_20120810.GetItem'), ...Array(3).fill('AWSStepFunctions.DescribeExecution')]);
  } finally {
    process.off('uncaughtException', uncaught);
    Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: before.dynamodb, AWS_ENDPOINT_URL_SFN: before.sfn });
    await new Promise((resolve) => proxy.close(resolve));
  }
}, 60_000);
