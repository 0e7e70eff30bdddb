import { statSync } from "node:fs";

/**
 * The SQLite file an open store writes to is no longer the one at its path: removed, or
 * replaced by another file (a restore moved into place). What the connection commits now goes to a file no
 * restart will open, so nothing more may be acknowledged. Counted as the store being
 * unavailable: a webhook gets 503 (GitHub records a failed delivery, which can be
 * redelivered) and /readyz says so.
 */
export class StoreFileGoneError extends Error {
  readonly code = "SWY_STORE_FILE_GONE";

  constructor(message: string) {
    super(message);
    this.name = "StoreFileGoneError";
  }
}

function identityOf(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? undefined : `${stat.dev}:${stat.ino}`;
}

/**
 * Remembers which file `file` (and its `-wal`, once there is one) is now, and returns a
 * check that throws StoreFileGoneError once either path names another file or none. Two
 * `stat` calls: cheap enough to run after every group commit. It compares files, not
 * contents: `cp` over the open database rewrites the same file in place, which this cannot
 * see (and which corrupts a live WAL database whatever switchyard does).
 *
 * @example
 * const checkFile = watchFileIdentity(".switchyard/switchyard.db");
 * checkFile(); // throws after `rm .switchyard/switchyard.db`
 */
export function watchFileIdentity(file: string): () => void {
  const database = identityOf(file);
  const walFile = `${file}-wal`;
  let wal = identityOf(walFile);
  return () => {
    const gone = (path: string, now: string | undefined): StoreFileGoneError =>
      new StoreFileGoneError(
        `the SQLite file ${path} was ${now === undefined ? "removed" : "replaced"} while switchyard had it open: what it wrote from then on would be lost at the next start, so it writes and accepts nothing more. Stop switchyard, put the database back (or move the new one aside) and start it again; to start from a new file instead, delete the -wal and -shm files beside it first: they are the old file's, and SQLite would apply them to the new one and damage it`,
      );
    const databaseNow = identityOf(file);
    if (databaseNow !== database) throw gone(file, databaseNow);
    const walNow = identityOf(walFile);
    // The WAL appears with the first write after a start on a file without one.
    if (wal === undefined) wal = walNow;
    else if (walNow !== wal) throw gone(walFile, walNow);
  };
}
