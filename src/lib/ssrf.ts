import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Webhook targets are user input: a subscriber must not make Herald call into its own network.
// Checked at subscribe time (clear 400) and again at send time, where the socket connects to the very
// address that was checked (a lookup function on the request), so DNS rebinding cannot swap it.

// Two lists: a BlockList also matches IPv4 addresses against IPv6 rules (as IPv4-mapped), so ::ffff:0:0/96
// in one shared list would block every IPv4 address.
const blocked = new BlockList();
const blocked6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds an IPv4 address)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked6.addSubnet(net, prefix, 'ipv6');
}

/** Why an IP address may not be a webhook target, or null when it is a public address. */
export function blockedAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  if (family === 4)
    return blocked.check(address, 'ipv4')
      ? `${address} is a loopback, private, link-local, CGNAT or reserved address`
      : null;
  const lower = address.toLowerCase();
  if (/^::ffff:/.test(lower)) return `${address} is an IPv4-mapped IPv6 address`;
  return blocked6.check(address, 'ipv6')
    ? `${address} is a loopback, unique-local, link-local or reserved IPv6 address`
    : null;
}

export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
  /** True when the host did not resolve at all (retryable at send time, a 400 at subscribe time). */
  constructor(
    message: string,
    readonly unresolved = false,
  ) {
    super(message);
  }
}

export interface UrlPolicy {
  /** HERALD_ALLOW_PRIVATE_WEBHOOKS=1: http and private/loopback targets allowed (local testing only). */
  allowPrivate: boolean;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * Checks the URL's form: https (http only with allowPrivate), no credentials, and — when the host is an IP
 * literal in any spelling (the WHATWG parser turns 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into 127.0.0.1) —
 * a public address. Returns the parsed URL. Throws UnsafeUrlError with a message naming the problem.
 */
export function checkWebhookUrlForm(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('is not a URL; give an address such as https://hooks.example.com/herald');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    throw new UnsafeUrlError(
      `must use https (got ${url.protocol.replace(/:$/, '')}); webhook targets are called over TLS`,
    );
  }
  if (url.username || url.password)
    throw new UnsafeUrlError('must not carry a user name or password; each delivery is signed instead');
  const host = bare(url.hostname);
  if (!host) throw new UnsafeUrlError('has no host');
  if (!policy.allowPrivate) {
    if (isIP(host)) {
      const reason = blockedAddressReason(host);
      if (reason) throw new UnsafeUrlError(`points at ${reason}; webhook targets must be public addresses`);
    } else if (/^localhost$|\.localhost$|\.local$|\.internal$/i.test(host)) {
      throw new UnsafeUrlError(`points at '${host}', a local name; webhook targets must be public addresses`);
    }
  }
  return url;
}

function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );
}

/** Resolves the host and checks every address it has (an attacker may answer with several). */
export async function resolveSafeAddresses(hostname: string, policy: UrlPolicy): Promise<LookupAddress[]> {
  const host = bare(hostname);
  if (isIP(host)) {
    const reason = policy.allowPrivate ? null : blockedAddressReason(host);
    if (reason) throw new UnsafeUrlError(`points at ${reason}; webhook targets must be public addresses`);
    return [{ address: host, family: isIP(host) }];
  }
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host);
  } catch (error) {
    throw new UnsafeUrlError(
      `host '${host}' does not resolve (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`,
      true,
    );
  }
  if (addresses.length === 0) throw new UnsafeUrlError(`host '${host}' has no addresses`, true);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason)
        throw new UnsafeUrlError(`host '${host}' resolves to ${reason}; webhook targets must be public addresses`);
    }
  }
  return addresses;
}

/** The full subscribe-time check: form, then DNS. */
export async function validateWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = checkWebhookUrlForm(raw, policy);
  await resolveSafeAddresses(url.hostname, policy);
  return url;
}

/**
 * A lookup function for http(s).request: resolves, refuses unsafe addresses, and hands the socket exactly
 * the addresses it checked.
 */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveSafeAddresses(hostname, policy).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => a.family === options.family)
            : addresses;
        const list = wanted.length > 0 ? wanted : addresses;
        if (options.all) (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (error: Error) => callback(Object.assign(error, { code: 'EHERALDUNSAFE' }) as NodeJS.ErrnoException, '', 0),
    );
  };
}
