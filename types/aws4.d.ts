// aws4 1.13 ships no type declarations. This covers `sign` as lambdas/aws/clients/s3-request.ts and its tests use it.
declare module 'aws4' {
  interface Request {
    service?: string;
    region?: string;
    method?: string;
    host?: string;
    /** The path with its query; signed as S3 signs it when `service` is `s3`. */
    path?: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    /** Signs in the query (a presigned URL) instead of the Authorization header. */
    signQuery?: boolean;
  }
  interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  }
  /** Signs `request` in place (headers or query) and returns it, its `path` now with the signed query. */
  function sign<T extends Request>(request: T, credentials?: Credentials): T & { path: string; headers: Record<string, string | number> };
  const aws4: { sign: typeof sign };
  export default aws4;
}
