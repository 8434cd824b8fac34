export default async function globalTeardown(): Promise<void> {
  for (const server of globalThis.__FLOWGATE_SERVERS__ ?? []) await server.stop();
}
