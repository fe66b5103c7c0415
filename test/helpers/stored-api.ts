import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createProtocolRegistry } from '../../core/protocol/index.js';
import { openStore, type Store } from '../../core/store/index.js';
import { SubscriptionService, type SubscriptionServiceOptions } from '../../core/subscription/refresh.js';
import { profileYaml, startApi, type ApiHarness } from '../unit/api/harness.js';
import { lateBound } from './late-bound.js';

export interface StoredApi {
  /** The controller with the store's subscription service, as `switchyard run --data-dir` has it. */
  h: ApiHarness;
  /** A controller without a store, for the "needs --data-dir" answers. */
  bare: ApiHarness;
  /** The real SQLite store in a temp dir, for checking what a call wrote. */
  store: Store;
}

/**
 * Controllers over a real store, started once per file: a temp data dir, its store, a SubscriptionService
 * (with `fetch` options when given), one controller using it and one bare; all stopped and removed after.
 */
export function useStoredApi(dirPrefix: string, fetch?: SubscriptionServiceOptions['fetch']): StoredApi {
  let dir: string | undefined;
  let store: Store | undefined;
  let service: SubscriptionService | undefined;
  let h: ApiHarness | undefined;
  let bare: ApiHarness | undefined;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-${dirPrefix}-`));
    store = openStore(dir);
    service = new SubscriptionService({ store, registry: createProtocolRegistry(), ...(fetch ? { fetch } : {}) });
    h = await startApi(profileYaml(), { subscriptions: service });
    bare = await startApi(profileYaml());
  });
  afterAll(async () => {
    await h?.close();
    await bare?.close();
    service?.stop();
    store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    h: lateBound('the stored-api controller', () => h),
    bare: lateBound('the bare controller', () => bare),
    store: lateBound('the stored-api store', () => store),
  };
}
