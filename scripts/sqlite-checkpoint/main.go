// Command sqlite-checkpoint keeps the write-ahead logs of FerretDB's SQLite databases (the embedded
// store of `pnpm dev`, the tests and the bench) bounded under load.
//
// SQLite can start its write-ahead log over only at a moment when no reader is using it. Under a
// steady mix of reads and writes that moment never comes, and the log grows with everything written
// (measured: 790 MB in 20 s of batched inserts beside one reader), though the database itself stays
// the size of what is retained. FerretDB offers no way to checkpoint, so this process does, beside it:
// every -every it runs `PRAGMA wal_checkpoint(TRUNCATE)` on each database in -dir whose log is above
// -above bytes. TRUNCATE waits (busy timeout) until the readers have moved to the database file, then
// empties the log. It opens a database read-write only if it exists, so it never creates one that
// FerretDB just dropped. It exits when its parent (the process that started FerretDB) is gone.
package main

import (
	"database/sql"
	"flag"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	dir := flag.String("dir", "", "FerretDB's SQLite directory (its --sqlite-url path)")
	every := flag.Duration("every", 5*time.Second, "how often to look at the logs")
	above := flag.Int64("above", 64<<20, "checkpoint a database whose write-ahead log is larger than this (bytes)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("sqlite-checkpoint: -dir is required")
	}
	parent := os.Getppid()
	for os.Getppid() == parent {
		files, err := filepath.Glob(filepath.Join(*dir, "*.sqlite"))
		if err != nil {
			log.Fatalf("sqlite-checkpoint: %v", err)
		}
		for _, file := range files {
			checkpoint(file, *above)
		}
		time.Sleep(*every)
	}
}

func checkpoint(file string, above int64) {
	wal, err := os.Stat(file + "-wal")
	if err != nil || wal.Size() <= above {
		return
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		log.Printf("sqlite-checkpoint: open %s: %v", file, err)
		return
	}
	defer db.Close()
	var busy, frames, done int
	started := time.Now()
	if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		log.Printf("sqlite-checkpoint: %s: %v", filepath.Base(file), err)
		return
	}
	log.Printf("sqlite-checkpoint: %s: log of %d MB checkpointed in %s (busy %d, %d of %d frames)",
		filepath.Base(file), wal.Size()>>20, time.Since(started).Round(time.Millisecond), busy, done, frames)
}
