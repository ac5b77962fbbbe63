// Runs the Lambda handlers in this process, each with a Lambda-like context, by handler name. The same
// modules are what esbuild bundles for AWS.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { HANDLERS, type HandlerName } from '../lambdas/workflow/contract.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** What the host can run: the deployed handlers. */
export type LocalHandlerName = HandlerName;

export class LambdaHost {
  private readonly loaded = new Map<LocalHandlerName, Promise<Handler>>();

  private load(name: LocalHandlerName): Promise<Handler> {
    let handler = this.loaded.get(name);
    if (!handler) {
      handler = import(`../lambdas/handlers/${name}.ts`).then((module: { handler: Handler }) => module.handler);
      this.loaded.set(name, handler);
    }
    return handler;
  }

  /** Loads every handler now, so the first request does not pay for it. */
  async warm(): Promise<void> {
    await Promise.all(HANDLERS.map((name) => this.load(name)));
  }

  async invoke(name: LocalHandlerName, event: unknown, timeoutMs = 15 * 60_000): Promise<unknown> {
    const handler = await this.load(name);
    const deadline = Date.now() + timeoutMs;
    const context = {
      functionName: `klingflow-${name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:klingflow-${name}`,
      memoryLimitInMB: '512',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/klingflow-${name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } satisfies Context;
    return handler(structuredClone(event), context);
  }
}
