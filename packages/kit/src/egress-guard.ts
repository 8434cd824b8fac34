import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { z } from 'zod';

/**
 * SSRF guard for outbound HTTP (http steps, later callbacks): only public unicast destinations are
 * reached unless an allow-list of CIDRs says otherwise. The check is on the *address*, never on the
 * host name: every name is resolved by our own lookup, each resolved address is checked before the
 * socket connects to it, IP-literal hosts (which Node connects to without a lookup) are checked
 * before any connection, and the address a socket really connected to is checked again. So a DNS
 * answer that changes between a check and the connect (DNS rebinding) cannot reach a private address.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What an address is, in the words of ipaddr.js's range names (plus a few of ours), and whether it is public. */
export interface AddressClassification {
  /** The normalised address (IPv4-mapped IPv6 keeps its IPv6 form). */
  address: string;
  /** ipaddr.js range name (`unicast`, `loopback`, `private`, `linkLocal`, …) or `ipv4Compatible` / `nonGlobal`. */
  range: string;
  /** Public unicast: reachable without an allow-list entry. */
  public: boolean;
  /** Human words for messages: "loopback", "private (RFC 1918)", "link-local (cloud metadata)", … */
  description: string;
}

const DESCRIPTIONS: Record<string, string> = {
  unicast: 'public unicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (RFC 6598)',
  private: 'private (RFC 1918)',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (fc00::/7)',
  deprecatedSiteLocal: 'site-local (fec0::/10)',
  rfc6145: 'IPv4-translated (RFC 6145)',
  rfc6052: 'NAT64 (RFC 6052)',
  '6to4': '6to4 (RFC 3056)',
  teredo: 'Teredo (RFC 4380)',
  ipv4Compatible: 'IPv4-compatible IPv6 (deprecated)',
  nonGlobal: 'outside global unicast (2000::/3)',
};

const CLOUD_METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);
const IPV6_GLOBAL_UNICAST: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV6_IPV4_COMPATIBLE: [ipaddr.IPv6, number] = ipaddr.IPv6.parseCIDR('::/96');

function describe(range: string, address: string): string {
  const base = DESCRIPTIONS[range] ?? `special-purpose (${range})`;
  return CLOUD_METADATA.has(address) ? `${base}, cloud metadata` : base;
}

function parseAddress(ip: string): Address {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare);
  if (family === 0) throw new Error(`not an IP address: ${ip}`);
  if (family === 4) return ipaddr.IPv4.parse(bare);
  // ipaddr.js reads any embedded dotted quad as IPv4-mapped (`::127.0.0.1` becomes ::ffff:7f00:1),
  // so the WHATWG URL parser first gives the exact all-hex form. A zone (`%eth0`) does not change the class.
  const hex = new URL(`http://[${bare.split('%')[0]}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.parse(hex);
}

function classifyParsed(addr: Address): AddressClassification {
  const address = addr.toString();
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      // ::ffff:a.b.c.d reaches a.b.c.d on a dual-stack socket: it is whatever that IPv4 address is.
      const inner = classifyParsed(v6.toIPv4Address());
      return { ...inner, address, description: inner.public ? inner.description : `${inner.description}, IPv4-mapped` };
    }
    let range: string = v6.range();
    if (range === 'unicast' && v6.match(IPV6_IPV4_COMPATIBLE)) range = 'ipv4Compatible';
    else if (range === 'unicast' && !v6.match(IPV6_GLOBAL_UNICAST)) range = 'nonGlobal';
    return { address, range, public: range === 'unicast', description: describe(range, address) };
  }
  const range: string = (addr as ipaddr.IPv4).range();
  return { address, range, public: range === 'unicast', description: describe(range, address) };
}

/** Classifies an IP address (v4, v6, bracketed v6). Throws on something that is not an IP address. */
export function classifyAddress(ip: string): AddressClassification {
  return classifyParsed(parseAddress(ip));
}

/** A refused outbound destination. `code` is stable; the message names the host and the address class only. */
export class EgressForbiddenError extends Error {
  readonly code = 'egress_forbidden';
  constructor(
    readonly host: string,
    /** The refused address: for logs, deliberately not in the message shown to API users. */
    readonly address: string,
    readonly addressClass: string,
    /** The host was this address (an IP literal), not a name that resolved to it. */
    readonly literal = false,
  ) {
    super(
      `outbound request to ${host} refused: ${literal ? 'it is' : 'it resolves to'} a non-public address (${addressClass}) ` +
        'that is not in the egress allow-list',
    );
    this.name = 'EgressForbiddenError';
  }
}

/** True for an EgressForbiddenError, also when wrapped (as `cause`) by an HTTP client. */
export function isEgressForbidden(err: unknown): err is EgressForbiddenError {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof EgressForbiddenError || (e as { code?: unknown }).code === 'egress_forbidden') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The first EgressForbiddenError in an error's cause chain, if any. */
export function egressForbiddenOf(err: unknown): EgressForbiddenError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof EgressForbiddenError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface CidrProblem {
  entry: string;
  message: string;
}

export class InvalidCidrError extends Error {
  readonly code = 'invalid_cidr';
  constructor(readonly problems: CidrProblem[]) {
    super(`invalid CIDR ${problems.map((p) => `"${p.entry}" (${p.message})`).join(', ')}`);
    this.name = 'InvalidCidrError';
  }
}

type Cidr = [Address, number];

/**
 * Parses one allow-list entry: `10.0.0.0/8`, `127.0.0.1/32`, `fd00::/8`, `::1/128`. The prefix is
 * required and host bits must be zero (`10.0.0.1/8` is refused with the network it probably meant),
 * so a typo cannot silently open more than intended. Returns the normalised text or a problem.
 */
export function parseCidr(entry: string): { ok: true; cidr: Cidr; text: string } | { ok: false; problem: CidrProblem } {
  const fail = (message: string) => ({ ok: false as const, problem: { entry, message } });
  const trimmed = entry.trim();
  const slash = trimmed.indexOf('/');
  if (slash < 0) return fail('must be a CIDR such as 10.0.0.0/8 or fd00::/8 (a single address is 10.1.2.3/32 or ::1/128)');
  const ip = trimmed.slice(0, slash);
  const prefixText = trimmed.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0) return fail('not an IPv4 or IPv6 address before the "/"');
  if (!/^\d{1,3}$/.test(prefixText)) return fail('the prefix length after "/" must be a number');
  const prefix = Number(prefixText);
  const max = family === 4 ? 32 : 128;
  if (prefix > max) return fail(`the prefix length must be 0–${max}`);
  const addr = parseAddress(ip);
  const network = (family === 4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
  if (network.toString() !== addr.toString()) return fail(`host bits are set; did you mean ${network.toString()}/${prefix}?`);
  return { ok: true, cidr: [addr, prefix], text: `${addr.toString()}/${prefix}` };
}

/** Validates a list of CIDRs; every bad entry is reported. */
export function validateCidrs(entries: readonly string[]): CidrProblem[] {
  return entries.flatMap((e) => {
    const parsed = parseCidr(e);
    return parsed.ok ? [] : [parsed.problem];
  });
}

/** The non-public destinations that are allowed anyway. Empty = public unicast only. */
export class EgressAllowList {
  static readonly EMPTY = new EgressAllowList([]);

  private constructor(private readonly cidrs: { cidr: Cidr; text: string }[]) {}

  /** Throws InvalidCidrError naming every bad entry. Duplicates are dropped; order does not matter. */
  static parse(entries: readonly string[]): EgressAllowList {
    const parsed = entries.map(parseCidr);
    const problems = parsed.flatMap((p) => (p.ok ? [] : [p.problem]));
    if (problems.length > 0) throw new InvalidCidrError(problems);
    const unique = new Map<string, { cidr: Cidr; text: string }>();
    for (const p of parsed) if (p.ok) unique.set(p.text, { cidr: p.cidr, text: p.text });
    return new EgressAllowList([...unique.values()].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)));
  }

  /** Union of several lists. */
  static union(...lists: EgressAllowList[]): EgressAllowList {
    return EgressAllowList.parse(lists.flatMap((l) => l.entries));
  }

  /** Normalised, sorted entries. */
  get entries(): string[] {
    return this.cidrs.map((c) => c.text);
  }

  /** A stable key: equal lists have equal keys (for caching one dispatcher per list). */
  get key(): string {
    return this.entries.join(',');
  }

  /** True if the address is inside an entry (an IPv4-mapped IPv6 address also matches IPv4 entries). */
  allows(ip: string): boolean {
    const addr = parseAddress(ip);
    const candidates: Address[] = [addr];
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) candidates.push((addr as ipaddr.IPv6).toIPv4Address());
    return candidates.some((a) => this.cidrs.some(({ cidr }) => cidr[0].kind() === a.kind() && a.match(cidr)));
  }
}

function toAllowList(allow: EgressAllowList | readonly string[] | undefined): EgressAllowList {
  if (allow === undefined) return EgressAllowList.EMPTY;
  return allow instanceof EgressAllowList ? allow : EgressAllowList.parse(allow);
}

/** Throws EgressForbiddenError unless `address` is public unicast or allow-listed. */
export function checkEgressAddress(host: string, address: string, allow: EgressAllowList, literal = false): void {
  const c = classifyAddress(address);
  if (c.public || allow.allows(address)) return;
  throw new EgressForbiddenError(host, c.address, c.description, literal);
}

/**
 * A `lookup` for `net.connect` that resolves with `baseLookup` and keeps only allowed addresses; if
 * none is left, it fails with EgressForbiddenError (for the first refused address). Handles both
 * the single-address and the `all: true` (happy eyeballs) forms Node uses.
 */
export function guardedLookup(allow: EgressAllowList, baseLookup: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    const opts: LookupAllOptions = { ...options, all: true };
    baseLookup(hostname, opts, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const allowed: LookupAddress[] = [];
      let refused: Error | undefined;
      for (const a of Array.isArray(addresses) ? addresses : []) {
        try {
          checkEgressAddress(hostname, a.address, allow);
          allowed.push(a);
        } catch (e) {
          refused ??= e as Error;
        }
      }
      const first = allowed[0];
      if (!first) {
        const error = refused ?? Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' });
        return callback(error, '', 0);
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

export interface EgressAgentOptions {
  /** Non-public destinations allowed anyway (CIDRs or a parsed list). Default: none. */
  allow?: EgressAllowList | readonly string[];
  /** Resolver (tests inject one to simulate DNS answers). Default: `dns.lookup`. */
  lookup?: typeof dnsLookup;
  /** Connection options passed to undici's connector (timeout, TLS options). */
  connect?: buildConnector.BuildOptions;
  /** Other undici Agent options (keep-alive, pipelining…). */
  agent?: Omit<Agent.Options, 'connect'>;
}

/**
 * An undici connector that enforces the guard: IP literals are checked before any connection, names
 * are resolved by the guarded lookup, and the address the socket really connected to is checked
 * again (a connection that ended up elsewhere is destroyed before a byte is sent).
 */
export function createEgressConnector(opts: EgressAgentOptions = {}): buildConnector.connector {
  const allow = toAllowList(opts.allow);
  const base = buildConnector({ ...opts.connect, lookup: guardedLookup(allow, opts.lookup) });
  return (options, callback) => {
    const host = options.hostname.startsWith('[') ? options.hostname.slice(1, -1) : options.hostname;
    if (isIP(host) !== 0) {
      try {
        checkEgressAddress(host, host, allow, true);
      } catch (err) {
        return callback(err as Error, null);
      }
    }
    base(options, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('connect failed'), null);
      const remote = socket.remoteAddress;
      try {
        if (!remote) throw new EgressForbiddenError(host, 'unknown', 'unknown');
        checkEgressAddress(host, remote, allow);
      } catch (e) {
        socket.destroy();
        return callback(e as Error, null);
      }
      callback(null, socket);
    });
  };
}

/** An undici Agent that only connects to public unicast addresses and the allow-list. */
export function createEgressAgent(opts: EgressAgentOptions = {}): Agent {
  return new Agent({ ...opts.agent, connect: createEgressConnector(opts) });
}

/**
 * Env helper for a comma-separated CIDR list (e.g. `FLOWGATE_EGRESS_ALLOW_CIDRS`): empty or unset =
 * an empty list; a bad entry stops the service with a message naming the variable and the entry.
 */
export const envCidrList = () =>
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const entries = value
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e.length > 0);
      try {
        return EgressAllowList.parse(entries);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });
