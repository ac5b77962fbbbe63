// Outbound HTTP to addresses a caller or a provider chose (the provider's result video, a caller's webhook
// receiver): one request, no redirects followed, over node:http(s) with a `lookup` of our own. Every address the
// host name resolves to is checked (url-policy.ts, `addressProblem`) inside the socket's own lookup, and the socket
// connects to the address that was checked, so a DNS answer that changes between a check and the connect (DNS
// rebinding) cannot slip past it. Nothing is sent before the check passes.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { addressProblem } from '../domain/url-policy.ts';

/** One resolved address, as `dns.lookup` gives it. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (DNS); tests pass a fixed table. */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

/** Where outbound requests may go. */
export interface OutboundPolicy {
  /**
   * `host` values (`name:port` as `URL.host` writes them) that are trusted as configured, whatever they resolve to:
   * the provider's own base URL (on the local stack, the simulator on 127.0.0.1). Empty on most calls.
   */
  trustedHosts?: readonly string[];
  /** Accept loopback addresses (the local stack's webhook receivers). Never on AWS. */
  allowLoopback?: boolean;
  /** DNS resolution; default `dns.lookup` with `all: true` (the resolver the operating system would use). */
  resolve?: Resolve;
}

/** The destination resolved (or was written) as an address that may not be connected to. Retrying will not help. */
export class BlockedDestination extends Error {
  override readonly name = 'BlockedDestination';
}

export interface OutboundRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Aborts the request, and the response body while it is read. */
  signal?: AbortSignal;
}

/** The answer: status, headers, and the body as a stream the caller must read to its end or destroy. */
export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

const systemResolve: Resolve = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A `lookup` for node:net that resolves with `policy.resolve`, refuses (with {@link BlockedDestination}) when any
 * address is not allowed, and hands the socket the checked addresses only.
 */
function checkedLookup(policy: OutboundPolicy, trusted: boolean): LookupFunction {
  const resolve = policy.resolve ?? systemResolve;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
        if (!trusted) {
          const blocked = addresses.map((a) => addressProblem(a.address, policy)).find((problem) => problem !== undefined);
          if (blocked)
            return callback(new BlockedDestination(`${hostname} resolves to ${blocked}; only public addresses are allowed`), '', 4);
        }
        const usable = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
        if (options.all) return (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, usable);
        const first = usable[0];
        if (!first)
          return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 4);
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 4),
    );
  };
}

/**
 * Sends one HTTP(S) request under `policy` and resolves with the response once its headers arrive. Redirects are
 * returned, not followed (the caller decides, and checks the next URL the same way). Rejects with
 * {@link BlockedDestination} before connecting when the host is an address, or resolves to one, that the policy
 * refuses (unless the host is trusted); with the socket's error (`ECONNREFUSED`, `ENOTFOUND`…) or the signal's
 * `AbortError` otherwise. Only `http:` and `https:` URLs are sent.
 */
export function sendOutbound(url: URL, init: OutboundRequest, policy: OutboundPolicy): Promise<OutboundResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new BlockedDestination(`refusing a ${url.protocol} URL; only http and https are fetched`));
  }
  const trusted = (policy.trustedHosts ?? []).includes(url.host);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!trusted && isIP(host) !== 0) {
    const problem = addressProblem(host, policy);
    if (problem) return Promise.reject(new BlockedDestination(`${problem} is not a public address`));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: init.method,
        headers: init.headers,
        signal: init.signal,
        lookup: checkedLookup(policy, trusted),
        // One connection per request: nothing pooled can carry a connection to a host checked under another policy.
        agent: false,
      },
      (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response }),
    );
    // Kept for the request's life: an error after the answer (the body's, too) must find a listener.
    request.on('error', reject);
    request.end(init.body);
  });
}

/**
 * POSTs `body` under `policy` (see {@link sendOutbound}) and returns the status once the answer's headers arrive;
 * the answer's body is discarded. Throws {@link BlockedDestination}, a network error, or a timeout `AbortError`
 * after `timeoutMs`.
 */
export async function postOutbound(
  url: URL,
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
  policy: OutboundPolicy,
): Promise<{ status: number }> {
  const response = await sendOutbound(
    url,
    { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(request.timeoutMs) },
    policy,
  );
  response.body.on('error', () => undefined);
  response.body.destroy();
  return { status: response.status };
}
