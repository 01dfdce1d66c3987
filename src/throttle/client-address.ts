import { isIP, type Socket } from 'node:net';
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
  if (isIP(value)) return value; // the usual case, without the patterns below
  const address = BRACKETED.exec(value)?.[1] ?? IPV4_WITH_PORT.exec(value)?.[1] ?? value;
  return isIP(address) ? address : undefined;
}

/** What a connection's peer is, worked out once per connection (its address never changes). */
interface Peer {
  /** Whether TRUST_PROXY trusts it (Express' compiled `trust proxy fn`, for hop 0). */
  trusted: boolean;
  address: string | undefined;
}
const PEER = Symbol('spajobs peer');
type WithPeer = Socket & { [PEER]?: Peer };
type TrustFn = (address: string | undefined, hop: number) => boolean;

function peerOf(req: Request): Peer {
  const socket = req.socket as WithPeer;
  let peer = socket[PEER];
  if (!peer) {
    const trust = req.app.get('trust proxy fn') as TrustFn;
    peer = { trusted: trust(socket.remoteAddress, 0), address: addressOf(socket.remoteAddress) };
    socket[PEER] = peer;
  }
  return peer;
}

/**
 * The client's address: `req.ip` (the right-most hop the trusted proxies did not vouch for) when
 * it is one; else the nearest valid hop on its right, down to the socket address. So junk in
 * X-Forwarded-For lands in the bucket of the proxy that passed it on, never in one of its own.
 * One hop (what a single proxy sends) is read without Express' `req.ips`, whose parsing was a
 * measurable share of a cache hit: `req.ips` is then that hop when the peer is trusted, else
 * nothing (see proxy-addr's `all`).
 */
export function clientAddress(req: Request): string {
  // Node joins repeated X-Forwarded-For lines with commas: a string, or absent
  const forwarded = req.headers['x-forwarded-for'] as string | undefined;
  if (!forwarded?.includes(',')) {
    const peer = peerOf(req);
    const hop = peer.trusted && forwarded ? addressOf(forwarded) : undefined;
    return hop ?? peer.address ?? 'unknown';
  }
  // req.ips: from that hop to the nearest proxy (empty without TRUST_PROXY)
  for (const hop of [...req.ips, req.socket.remoteAddress]) {
    const address = addressOf(hop);
    if (address) return address;
  }
  return 'unknown';
}
