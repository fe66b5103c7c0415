import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../core/store/index.js';
import { lateBound } from './late-bound.js';

/**
 * A fresh SQLite store for every test, in its own temp dir (`dir`, for files a test writes beside it);
 * closed and removed after each test, so no test sees another's rows.
 */
export function useFreshStore(dirPrefix: string): { store: Store; readonly dir: string } {
  let dir: string | undefined;
  let store: Store | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-${dirPrefix}-`));
    store = openStore(dir);
  });
  afterEach(() => {
    store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    store: lateBound('the test store', () => store),
    get dir() {
      if (dir === undefined) throw new Error('the test store dir is used before the beforeEach hook that makes it ran');
      return dir;
    },
  };
}
