import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../scripts/local-servers';
import type { ServiceName, Stack } from '../support/stack';
import { round } from './load';

/**
 * Process and disk figures read from the OS: a service's peak resident set (VmHWM in
 * /proc/<pid>/status: the high-water mark since the process started, so read once at the end of a
 * scenario it is the scenario's peak) and the size of the embedded store's files.
 */

/**
 * The pid of a stack's service process: the node process running dist/<service>.js of this checkout
 * with this stack's ops port in its environment (other checkouts on the machine run their own).
 */
export function servicePid(stack: Stack, service: ServiceName): number | null {
  const script = join(DIST, `${service}.js`);
  const port = `FLOWGATE_OPS_PORT=${stack.ports[service]}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmdline.includes(script)) continue;
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(port)) continue;
      return Number(entry);
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}

/** VmHWM of a process in MB, or null when it cannot be read. */
export function peakRssMb(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** Peak RSS (MB) of each of a stack's services that is running. */
export function stackPeakRss(stack: Stack, services: ServiceName[]): Partial<Record<ServiceName, number>> {
  const out: Partial<Record<ServiceName, number>> = {};
  for (const s of services) {
    const mb = peakRssMb(servicePid(stack, s));
    if (mb !== null) out[s] = mb;
  }
  return out;
}

export interface StoreFiles {
  /** Every file in the directory, bytes. */
  total_bytes: number;
  /** SQLite write-ahead logs (*-wal). */
  wal_bytes: number;
  files: number;
}

/** Sizes of the files in FerretDB's SQLite directory whose names start with `prefix` (all when empty); null when it is not there. */
export function storeFiles(dir: string | null, prefix = ''): StoreFiles | null {
  if (!dir || !existsSync(dir)) return null;
  const out: StoreFiles = { total_bytes: 0, wal_bytes: 0, files: 0 };
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    try {
      const st = statSync(join(dir, name));
      if (!st.isFile()) continue;
      out.total_bytes += st.size;
      out.files++;
      if (name.endsWith('-wal')) out.wal_bytes += st.size;
    } catch {
      // removed in between
    }
  }
  return out;
}

export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);
