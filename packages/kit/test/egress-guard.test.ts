import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { request } from 'undici';
import { ConfigError, loadConfig } from '../src/config';
import {
  checkEgressAddress,
  classifyAddress,
  createEgressAgent,
  EgressAllowList,
  EgressForbiddenError,
  envCidrList,
  guardedLookup,
  InvalidCidrError,
  isEgressForbidden,
  parseCidr,
  type EgressAgentOptions,
} from '../src/egress-guard';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'unicast'],
    ['172.32.0.1', 'unicast'],
    ['2606:4700:4700::1111', 'unicast'],
    ['::ffff:8.8.8.8', 'unicast'],
  ])('%s is public (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toMatchObject({ range, public: true });
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.1.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['4000::1', 'nonGlobal'],
    // IPv4-mapped IPv6 is whatever the IPv4 address inside is
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
  ])('%s is not public (%s)', (ip, range) => {
    expect(classifyAddress(ip)).toMatchObject({ range, public: false });
  });

  it('describes cloud metadata and IPv4-mapped addresses', () => {
    expect(classifyAddress('169.254.169.254').description).toBe('link-local, cloud metadata');
    expect(classifyAddress('::ffff:127.0.0.1').description).toBe('loopback, IPv4-mapped');
    expect(classifyAddress('100.64.0.1').description).toBe('carrier-grade NAT (RFC 6598)');
  });

  it('throws on something that is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow('not an IP address');
  });
});

describe('allow-list CIDRs', () => {
  it('normalises valid entries, drops duplicates and sorts them', () => {
    const list = EgressAllowList.parse([' 10.0.0.0/8', '127.0.0.1/32', '::1/128', 'FD00:0::/8', '10.0.0.0/8']);
    expect(list.entries).toEqual(['10.0.0.0/8', '127.0.0.1/32', '::1/128', 'fd00::/8']);
    expect(list.key).toBe('10.0.0.0/8,127.0.0.1/32,::1/128,fd00::/8');
  });

  it.each([
    ['10.0.0.1/8', 'host bits are set; did you mean 10.0.0.0/8?'],
    ['10.0.0.0', 'must be a CIDR'],
    ['10.0.0.0/33', 'prefix length must be 0–32'],
    ['::1/129', 'prefix length must be 0–128'],
    ['10.0.0.0/x', 'must be a number'],
    ['localhost/8', 'not an IPv4 or IPv6 address'],
    ['10.0.0.256/32', 'not an IPv4 or IPv6 address'],
    ['', 'must be a CIDR'],
  ])('refuses %j with a clear message', (entry, message) => {
    const parsed = parseCidr(entry);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toEqual({ entry, message: expect.stringContaining(message) });
  });

  it('names every bad entry at once', () => {
    let error: unknown;
    try {
      EgressAllowList.parse(['10.0.0.0/8', 'nope', '192.168.1.1/16']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidCidrError);
    expect((error as InvalidCidrError).problems.map((p) => p.entry)).toEqual(['nope', '192.168.1.1/16']);
    expect((error as Error).message).toContain('"nope"');
    expect((error as Error).message).toContain('did you mean 192.168.0.0/16?');
  });

  it('matches addresses, IPv4-mapped ones against IPv4 entries, families never across', () => {
    const list = EgressAllowList.parse(['127.0.0.0/8', '::1/128', '10.1.0.0/16']);
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('::ffff:127.0.0.1')).toBe(true);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('10.1.200.3')).toBe(true);
    expect(list.allows('10.2.0.1')).toBe(false);
    expect(list.allows('::2')).toBe(false);
    expect(EgressAllowList.parse(['0.0.0.0/0']).allows('::1')).toBe(false);
  });

  it('unites lists', () => {
    const union = EgressAllowList.union(EgressAllowList.parse(['127.0.0.0/8']), EgressAllowList.parse(['10.0.0.0/8', '127.0.0.0/8']));
    expect(union.entries).toEqual(['10.0.0.0/8', '127.0.0.0/8']);
  });

  it('checkEgressAddress lets public and allow-listed addresses through, refuses the rest', () => {
    const allow = EgressAllowList.parse(['10.0.0.0/8']);
    expect(() => checkEgressAddress('api.example', '93.184.216.34', allow)).not.toThrow();
    expect(() => checkEgressAddress('db.internal', '10.0.0.5', allow)).not.toThrow();
    expect(() => checkEgressAddress('db.internal', '192.168.0.5', allow)).toThrow(EgressForbiddenError);
  });
});

describe('FLOWGATE_EGRESS_ALLOW_CIDRS (envCidrList)', () => {
  const shape = { FLOWGATE_EGRESS_ALLOW_CIDRS: envCidrList() };

  it('is empty when unset or empty', () => {
    expect(loadConfig(shape, {}).FLOWGATE_EGRESS_ALLOW_CIDRS.entries).toEqual([]);
    expect(loadConfig(shape, { FLOWGATE_EGRESS_ALLOW_CIDRS: '' }).FLOWGATE_EGRESS_ALLOW_CIDRS.entries).toEqual([]);
  });

  it('parses a comma-separated list', () => {
    const config = loadConfig(shape, { FLOWGATE_EGRESS_ALLOW_CIDRS: '127.0.0.0/8, ::1/128,,10.0.0.0/8' });
    expect(config.FLOWGATE_EGRESS_ALLOW_CIDRS.entries).toEqual(['10.0.0.0/8', '127.0.0.0/8', '::1/128']);
  });

  it('stops with an error naming the variable and the bad entry', () => {
    let error: unknown;
    try {
      loadConfig(shape, { FLOWGATE_EGRESS_ALLOW_CIDRS: '127.0.0.0/8,10.0.0.0/40' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { variable: 'FLOWGATE_EGRESS_ALLOW_CIDRS', message: expect.stringContaining('10.0.0.0/40') },
    ]);
  });
});

/** A resolver answering from a table, like a DNS server an attacker controls. */
function fakeDns(table: Record<string, string[]>): typeof dnsLookup {
  const fake = (hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
    const addresses = (table[hostname] ?? []).map((address) => ({ address, family: net.isIP(address) }));
    setImmediate(() =>
      addresses.length > 0
        ? callback(null, addresses)
        : callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []),
    );
  };
  return fake as unknown as typeof dnsLookup;
}

function lookupWith(allow: string[], table: Record<string, string[]>, all: boolean): Promise<{ err: Error | null; result: unknown }> {
  const lookup = guardedLookup(EgressAllowList.parse(allow), fakeDns(table));
  return new Promise((resolve) =>
    lookup('host.example', { all }, (err: Error | null, address: unknown, family?: number) =>
      resolve({ err, result: all ? address : { address, family } }),
    ),
  );
}

describe('guardedLookup', () => {
  it('passes public answers through, in both callback forms', async () => {
    expect(await lookupWith([], { 'host.example': ['93.184.216.34'] }, false)).toEqual({
      err: null,
      result: { address: '93.184.216.34', family: 4 },
    });
    expect(await lookupWith([], { 'host.example': ['93.184.216.34', '2606:2800:220:1::'] }, true)).toEqual({
      err: null,
      result: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::', family: 6 },
      ],
    });
  });

  it('drops refused addresses from a mixed answer (rebinding to a private address never connects)', async () => {
    expect(await lookupWith([], { 'host.example': ['127.0.0.1', '93.184.216.34', '10.0.0.1'] }, true)).toEqual({
      err: null,
      result: [{ address: '93.184.216.34', family: 4 }],
    });
  });

  it('fails with EgressForbiddenError when nothing allowed is left', async () => {
    const { err } = await lookupWith([], { 'host.example': ['10.0.0.1', 'fd00::1'] }, true);
    expect(err).toBeInstanceOf(EgressForbiddenError);
    expect(err).toMatchObject({ code: 'egress_forbidden', host: 'host.example', address: '10.0.0.1', addressClass: 'private (RFC 1918)' });
    expect(err?.message).toBe(
      'outbound request to host.example refused: it resolves to a non-public address (private (RFC 1918)) that is not in the egress allow-list',
    );
  });

  it('keeps allow-listed private addresses', async () => {
    expect(await lookupWith(['10.0.0.0/8'], { 'host.example': ['10.0.0.1', '192.168.0.1'] }, false)).toEqual({
      err: null,
      result: { address: '10.0.0.1', family: 4 },
    });
  });

  it('passes resolver errors on unchanged', async () => {
    const { err } = await lookupWith([], {}, true);
    expect(err).toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('createEgressAgent (real undici requests)', () => {
  let server: Server;
  let port: number;
  const received: IncomingHttpHeaders[] = [];
  const agents: ReturnType<typeof createEgressAgent>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    jest.restoreAllMocks();
  });

  async function get(url: string, opts: EgressAgentOptions = {}): Promise<{ status?: number; body?: string; error?: unknown }> {
    const agent = createEgressAgent(opts);
    agents.push(agent);
    try {
      const res = await request(url, { dispatcher: agent, signal: AbortSignal.timeout(5_000) });
      return { status: res.statusCode, body: await res.body.text() };
    } catch (error) {
      return { error };
    }
  }

  it('refuses 127.0.0.1 without an allow-list; the server gets nothing', async () => {
    const { error } = await get(`http://127.0.0.1:${port}/`);
    expect(isEgressForbidden(error)).toBe(true);
    expect(error).toMatchObject({ code: 'egress_forbidden', literal: true, addressClass: 'loopback' });
    expect((error as Error).message).toBe(
      'outbound request to 127.0.0.1 refused: it is a non-public address (loopback) that is not in the egress allow-list',
    );
    expect(received).toHaveLength(0);
  });

  it('reaches 127.0.0.1 with 127.0.0.0/8 allow-listed', async () => {
    expect(await get(`http://127.0.0.1:${port}/`, { allow: ['127.0.0.0/8'] })).toEqual({ status: 200, body: 'ok' });
    expect(received).toHaveLength(1);
  });

  it('refuses localhost: the name resolves to loopback (the DNS path)', async () => {
    const { error } = await get(`http://localhost:${port}/`);
    expect(error).toBeInstanceOf(EgressForbiddenError);
    expect(error).toMatchObject({ host: 'localhost', literal: false, addressClass: 'loopback' });
    expect((error as Error).message).toContain('localhost refused: it resolves to a non-public address (loopback)');
    expect(received).toHaveLength(0);
    expect(await get(`http://localhost:${port}/`, { allow: ['127.0.0.0/8', '::1/128'] })).toEqual({ status: 200, body: 'ok' });
  });

  it('refuses the IPv6 literal [::1]', async () => {
    const { error } = await get(`http://[::1]:${port}/`);
    expect(error).toMatchObject({ code: 'egress_forbidden', host: '::1', address: '::1', addressClass: 'loopback' });
  });

  it('refuses the IPv4-mapped ::ffff:127.0.0.1 (and allows it with 127.0.0.0/8)', async () => {
    const { error } = await get(`http://[::ffff:127.0.0.1]:${port}/`);
    expect(error).toMatchObject({ code: 'egress_forbidden', addressClass: 'loopback, IPv4-mapped' });
    expect(received).toHaveLength(0);
    expect(await get(`http://[::ffff:127.0.0.1]:${port}/`, { allow: ['127.0.0.0/8'] })).toEqual({ status: 200, body: 'ok' });
  });

  it('refuses 169.254.169.254 (cloud metadata) without opening any connection', async () => {
    const netConnect = jest.spyOn(net, 'connect');
    const tlsConnect = jest.spyOn(tls, 'connect');
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/']) {
      const { error } = await get(url);
      expect(error).toMatchObject({ code: 'egress_forbidden', addressClass: 'link-local, cloud metadata' });
      expect((error as Error).message).not.toContain('meta-data');
    }
    expect(netConnect).not.toHaveBeenCalled();
    expect(tlsConnect).not.toHaveBeenCalled();
    // control: the spy does see the connections undici opens
    expect(await get(`http://127.0.0.1:${port}/`, { allow: ['127.0.0.1/32'] })).toMatchObject({ status: 200 });
    expect(netConnect).toHaveBeenCalledTimes(1);
  });

  it('checks the resolved address, not the name: a name rebound to 127.0.0.1 is refused unless allow-listed', async () => {
    const lookup = fakeDns({ 'rebind.example': ['127.0.0.1'] });
    const { error } = await get(`http://rebind.example:${port}/`, { lookup });
    expect(error).toMatchObject({ code: 'egress_forbidden', host: 'rebind.example', address: '127.0.0.1' });
    expect(received).toHaveLength(0);
    expect(await get(`http://rebind.example:${port}/`, { lookup, allow: ['127.0.0.1/32'] })).toEqual({ status: 200, body: 'ok' });
    expect(received[0]?.host).toBe(`rebind.example:${port}`);
  });

  it('connects only to the allowed address of a mixed answer', async () => {
    // 192.0.2.1 (TEST-NET) is refused as reserved; 127.0.0.1 is allow-listed, so that is where it goes.
    const lookup = fakeDns({ 'mixed.example': ['192.0.2.1', '127.0.0.1'] });
    expect(await get(`http://mixed.example:${port}/`, { lookup, allow: ['127.0.0.0/8'] })).toEqual({ status: 200, body: 'ok' });
  });
});

describe('isEgressForbidden', () => {
  it('finds the error through a cause chain', () => {
    const refused = new EgressForbiddenError('h', '10.0.0.1', 'private (RFC 1918)');
    expect(isEgressForbidden(new Error('fetch failed', { cause: refused }))).toBe(true);
    expect(isEgressForbidden(new Error('ECONNREFUSED'))).toBe(false);
    expect(isEgressForbidden(undefined)).toBe(false);
  });
});
