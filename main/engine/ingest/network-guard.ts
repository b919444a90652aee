// Keeps URL downloads from untrusted manifests away from this machine and its private networks (SSRF): every connection's
// resolved address is checked, on every redirect hop, unless the user allowed private targets.
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Agent, Response } from 'undici';

export interface NetworkPolicy {
  /** Allow loopback, private and link-local targets (a local mirror); off by default. */
  allowPrivateNetwork: boolean;
  /** CIDR ranges allowed even though private (e.g. one mirror at 10.1.2.3/32). */
  allowNetworks: string[];
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

function allowList(policy: NetworkPolicy): BlockList {
  const list = new BlockList();
  for (const cidr of policy.allowNetworks) {
    const [net, bits] = cidr.split('/');
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net, bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits), family);
  }
  return list;
}

/** Why `address` may not be contacted under `policy`, or null when it may. IPv4-mapped IPv6 is judged as IPv4. */
export function blockedReason(address: string, policy: NetworkPolicy, allowed = allowList(policy)): string | null {
  if (policy.allowPrivateNetwork) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (!PRIVATE.check(ip, family) || allowed.check(ip, family)) return null;
  return `${address} is a loopback, private or link-local address (allow private networks to download from it)`;
}

function guardedAgent(policy: NetworkPolicy, { Agent }: typeof import('undici'), { lookup }: typeof import('node:dns')): Agent {
  const allowed = allowList(policy);
  return new Agent({
    connect: {
      // Checked at connect time, so a name that resolves differently on a second lookup (DNS rebinding) is still caught.
      lookup: ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address?: string | LookupAddress[], family?: number) => void) => {
        lookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err);
          for (const a of addresses) {
            const reason = blockedReason(a.address, policy, allowed);
            if (reason) return callback(new BlockedAddressError(`${hostname} resolves to ${reason}`));
          }
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        });
      }) as never,
    },
  });
}

const MAX_REDIRECTS = 10;

/**
 * GET `url` following redirects by hand: each hop must be http(s), a literal IP host is checked before connecting, and a named
 * host is checked on the address the connection really uses.
 */
export async function guardedFetch(url: string, policy: NetworkPolicy, init: { signal: AbortSignal; headers: Record<string, string> }): Promise<Response> {
  // undici (~1 MB of JavaScript) and node:dns (~3 ms) are loaded by the first download, not by every command that
  // imports this file (every project open does, through the download job).
  const undici = await import('undici');
  const dispatcher = policy.allowPrivateNetwork ? undefined : guardedAgent(policy, undici, await import('node:dns'));
  const allowed = allowList(policy);
  let current = new URL(url);
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new BlockedAddressError(`${current.protocol} URLs are not downloaded`);
      const host = current.hostname.replace(/^\[|\]$/g, '');
      const reason = isIP(host) ? blockedReason(host, policy, allowed) : null;
      if (reason) throw new BlockedAddressError(reason);
      const res = await undici.fetch(current, { signal: init.signal, headers: init.headers, redirect: 'manual', dispatcher });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel().catch(() => undefined);
        current = new URL(location, current);
        continue;
      }
      return res;
    }
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof BlockedAddressError) throw cause;
    throw err;
  } finally {
    // The agent is per download; its sockets close once the body is read (keep-alive is not worth a shared guarded pool here).
    if (dispatcher) void dispatcher.close().catch(() => undefined);
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}
