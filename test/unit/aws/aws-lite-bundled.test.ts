// The aws-lite clients as the Lambda bundles carry them: built with the handlers' esbuild settings (HANDLER_BUNDLING,
// minified CommonJS), loaded as the runtime loads a handler, and called over real sockets. The local stack runs the
// handlers from source, so this is where a client that only breaks once bundled would show.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handlerBuildOptions, PROJECT_ROOT } from '../../../lib/functions.ts';
import type { LocalDynamo } from '../../../local/emulators/dynamodb.ts';
import { startThingsTable } from './loopback.ts';

const ENTRY = `
import { dynamo, isConditionFailed } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/dynamo.ts'))};
import { sfn } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/sfn.ts'))};
import { sns } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/aws/clients/sns.ts'))};
export async function handler() {
  const db = dynamo();
  await db.put({ TableName: 'things', Item: { pool: 'p', entry: 'x', n: 1 } });
  const got = await db.get({ TableName: 'things', Key: { pool: 'p', entry: 'x' }, ConsistentRead: true });
  const conditionFailed = await db
    .put({ TableName: 'things', Item: { pool: 'p', entry: 'x' }, ConditionExpression: 'attribute_not_exists(entry)' })
    .then(() => false, isConditionFailed);
  const described = await sfn()('DescribeExecution', { executionArn: 'arn:x' }).catch((e) => e.name);
  const published = await sns()('Publish', { TopicArn: 'arn:x', Message: 'm' }).then(() => 'published', (e) => e.name);
  return { got, conditionFailed, described, published };
}
`;

let dynamo: LocalDynamo;
let api: Server;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startThingsTable();
  // Step Functions (JSON) answers ExecutionDoesNotExist; SNS (query, XML) answers a topic it does not know.
  api = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.headers['x-amz-target'] === 'AWSStepFunctions.DescribeExecution') {
        res
          .writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
          .end(JSON.stringify({ __type: 'ExecutionDoesNotExist', message: 'no' }));
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

it('work once bundled: items both ways, a failed condition, and error codes from JSON and XML answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'klingflow-bundled-'));
  writeFileSync(join(dir, 'entry.ts'), ENTRY);
  const outfile = join(dir, 'index.js');
  const result = await build({ ...handlerBuildOptions(join(dir, 'entry.ts'), outfile), logLevel: 'silent' });
  expect(result.warnings).toEqual([]);
  const { handler } = createRequire(import.meta.url)(outfile) as { handler: () => Promise<unknown> };
  expect(await handler()).toEqual({
    got: { Item: { pool: 'p', entry: 'x', n: 1 } },
    conditionFailed: true,
    described: 'ExecutionDoesNotExist',
    published: 'NotFound',
  });
}, 60_000);
