// @aws-lite/dynamodb ships no type declarations of its own (its types package augments the client with the AWS
// SDK's output types). klingflow passes the plugin to the client and calls its methods through
// lambdas/aws/clients/dynamo.ts, which types them; the plugin itself is an opaque object.
declare module '@aws-lite/dynamodb' {
  const plugin: { readonly name: string; readonly service: string; readonly property: string };
  export default plugin;
}
