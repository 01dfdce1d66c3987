import { isIP } from 'node:net';
import type { Request } from 'express';

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/;

/**
 * An address as a proxy may write it into X-Forwarded-For: bare, `a.b.c.d:port`, `[v6]` or
 * `[v6]:port` (the port never names another client). Undefined for anything else.
 */
export function addressOf(hop: string | undefined): string | undefined {
  const value = hop?.trim();
  if (!value) return undefined;
  const address = BRACKETED.exec(value)?.[1] ?? IPV4_WITH_PORT.exec(value)?.[1] ?? value;
  return isIP(address) ? address : undefined;
}

/**
 * The client's address: `req.ip` (the right-most hop the trusted proxies did not vouch for) when
 * it is one; else the nearest valid hop on its right, down to the socket address. So junk in
 * X-Forwarded-For lands in the bucket of the proxy that passed it on, never in one of its own.
 */
export function clientAddress(req: Request): string {
  // req.ips: from that hop to the nearest proxy (empty without TRUST_PROXY)
  for (const hop of [...req.ips, req.socket.remoteAddress]) {
    const address = addressOf(hop);
    if (address) return address;
  }
  return 'unknown';
}
