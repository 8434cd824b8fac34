import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDb, type LocalServer } from '../../scripts/local-servers';

/**
 * The embedded store (FerretDB on SQLite, as `pnpm dev` runs it): writes beside readers hold SQLite's
 * checkpoints back and grow the write-ahead log. Under a steady load the checkpointer started beside
 * FerretDB empties it (scripts/sqlite-checkpoint); once a burst is over SQLite cuts it back itself
 * (journal_size_limit). So the files follow what is retained, not how much ran.
 */
describe('embedded store files', () => {
  let dir: string;
  let ferret: LocalServer;
  let client: MongoClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowgate-store-files-'));
    ferret = await startFerretDb(dir);
    client = await new MongoClient(ferret.url).connect();
  });
  afterAll(async () => {
    await client?.close();
    await ferret?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const BODY = 'x'.repeat(2_000);
  /**
   * Inserts 2 KB documents into `database`.x, 50 per call, beside `readers` readers always in a
   * query, while `more(bytes written, peak log MB)` holds; the log's size is read every 1 000 documents.
   */
  async function writeBesideReaders(database: string, readers: number, more: (bytes: number, peakMb: number) => boolean) {
    const col = client.db(database).collection<{ _id: string; body: string }>('x');
    /** Its write-ahead log's size now (MB). */
    const wal = () => statSync(join(dir, 'sqlite', `${database}.sqlite-wal`)).size / 1e6;
    let done = false;
    const reading = Array.from({ length: readers }, async () => {
      while (!done) await col.find({ _id: `r${Math.random()}` }).toArray();
    });
    let docs = 0;
    let peakMb = 0;
    while (more(docs * BODY.length, peakMb)) {
      await col.insertMany(Array.from({ length: 50 }, () => ({ _id: `d${docs++}`, body: BODY })));
      if (docs % 1_000 === 0) peakMb = Math.max(peakMb, wal());
    }
    done = true;
    await Promise.all(reading);
    return { col, wal, docs, bytes: docs * BODY.length, peakMb };
  }

  it('keeps the write-ahead log bounded under a steady load, where SQLite never starts it over', async () => {
    // One reader always in a query: SQLite's own checkpoints never find the moment to start the log
    // over, and without the checkpointer beside FerretDB the log grew with everything written (790 MB
    // in 20 s here). 300 MB of documents (the log holds at least that much without the checkpointer),
    // however long it takes on a busy machine, within 90 s.
    const until = Date.now() + 90_000;
    const { bytes, peakMb } = await writeBesideReaders('steady', 1, (written) => written < 300e6 && Date.now() < until);
    expect(bytes).toBeGreaterThanOrEqual(300e6);
    expect(peakMb).toBeLessThan(200);
    expect(readFileSync(join(dir, 'sqlite-checkpoint.log'), 'utf8')).toMatch(/steady\.sqlite: log of \d+ MB checkpointed/);
  });

  it('cuts the write-ahead log back to its limit once a burst is over', async () => {
    // Until the log is well past the 16 MB limit (a few seconds here), or 30 s.
    const until = Date.now() + 30_000;
    const { col, wal, docs, peakMb } = await writeBesideReaders('files', 4, (_, peak) => peak < 30 && Date.now() < until);
    expect(peakMb).toBeGreaterThan(20);

    // Quiet now: the next writes after a checkpoint reset the log, and the limit truncates it.
    for (let k = 0; k < 10 && wal() > 17; k++) {
      await col.insertOne({ _id: `z${k}`, body: BODY });
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(wal()).toBeLessThanOrEqual(17);
    expect(await col.estimatedDocumentCount()).toBeGreaterThanOrEqual(docs);
  });
});
