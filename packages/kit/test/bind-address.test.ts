import type { AddressInfo } from 'node:net';
import { connects, otherAddress } from '../../../test/support/network';
import { baseConfigShape, ConfigError, loadConfig } from '../src/config';
import { startGrpcServer, hostPort } from '../src/grpc';
import { createLogger } from '../src/logger';
import { createRegistry } from '../src/metrics';
import { startOpsServer } from '../src/ops-server';

/** FLOWGATE_BIND_ADDRESS: validated at start-up; a listener given 127.0.0.1 is reachable on loopback only. */

describe('FLOWGATE_BIND_ADDRESS', () => {
  it('defaults to every interface and takes IPv4 and IPv6 addresses', () => {
    expect(loadConfig(baseConfigShape, {}).FLOWGATE_BIND_ADDRESS).toBe('0.0.0.0');
    expect(loadConfig(baseConfigShape, { FLOWGATE_BIND_ADDRESS: '127.0.0.1' }).FLOWGATE_BIND_ADDRESS).toBe('127.0.0.1');
    expect(loadConfig(baseConfigShape, { FLOWGATE_BIND_ADDRESS: '::1' }).FLOWGATE_BIND_ADDRESS).toBe('::1');
  });

  it('refuses anything but an address, naming the variable', () => {
    for (const value of ['localhost', 'everywhere', '127.0.0.256', '0.0.0.0:8080']) {
      expect(() => loadConfig(baseConfigShape, { FLOWGATE_BIND_ADDRESS: value })).toThrow(ConfigError);
      expect(() => loadConfig(baseConfigShape, { FLOWGATE_BIND_ADDRESS: value })).toThrow(
        /FLOWGATE_BIND_ADDRESS: must be an IPv4 or IPv6 address/,
      );
    }
  });

  it('brackets an IPv6 address for gRPC', () => {
    expect(hostPort('::1', 50051)).toBe('[::1]:50051');
    expect(hostPort('127.0.0.1', 50051)).toBe('127.0.0.1:50051');
  });

  it('binds the ops port to loopback only', async () => {
    const ops = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: createRegistry('test'),
      logger: createLogger('test', 'silent'),
      checks: {},
    });
    try {
      expect((ops.server.address() as AddressInfo).address).toBe('127.0.0.1');
      expect(await connects('127.0.0.1', ops.port)).toBe(true);
      if (otherAddress) expect(await connects(otherAddress, ops.port)).toBe(false);
    } finally {
      await ops.close();
    }
  });

  it('binds a gRPC server to loopback only', async () => {
    const grpc = await startGrpcServer({ port: 0, host: '127.0.0.1', serviceName: 'test.Service', register: () => undefined });
    try {
      expect(await connects('127.0.0.1', grpc.port)).toBe(true);
      if (otherAddress) expect(await connects(otherAddress, grpc.port)).toBe(false);
      // The default (every interface) is reachable on that address: the check above can fail.
      const open = await startGrpcServer({ port: 0, serviceName: 'test.Service', register: () => undefined });
      try {
        if (otherAddress) expect(await connects(otherAddress, open.port)).toBe(true);
      } finally {
        await open.close(100);
      }
    } finally {
      await grpc.close(100);
    }
  });
});
