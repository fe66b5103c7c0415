import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget, type HttpTarget } from '../helpers/http-target.js';
import { startMicrosocks, type ReferenceServer } from '../helpers/reference-servers.js';
import { curlVia } from '../integration/route/clients.js';
import { eventually, startApi, type ApiHarness } from '../unit/api/harness.js';
import { haveChromium, launchChromium, NO_CHROMIUM_REASON, type Browser } from './browser.js';
import { screenshot } from './harness.js';
import { ensureUiBuilt } from './ui-build.js';

const SECRET = 'e2e-apps-secret-4Kd';
const CURL = fs.realpathSync('/usr/bin/curl');
/** Where the target sees each request come from: DIRECT leaves from 127.0.0.1, each microsocks from its own address. */
const DIRECT = '127.0.0.1';
const UPSTREAMS = ['127.0.0.2', '127.0.0.3'];

/**
 * The Apps page against a real core: the page turns process tracking on, curl (a real program, found in
 * /proc by the core) shows up in the list, and the policy the page sets decides where curl's next request
 * goes, which the local HTTP target tells by the request's source address.
 */
describe.skipIf(!haveChromium)(`Apps page in Chromium against a running core${haveChromium ? '' : ` (skipped: ${NO_CHROMIUM_REASON})`}`, () => {
  let micro: ReferenceServer[] = [];
  let target: HttpTarget;
  let h: ApiHarness;
  let browser: Browser;
  let page: Page;

  const curlRow = () => page.locator(`tr[data-app="${CURL}"]`);
  const sourceCounts = () => [DIRECT, ...UPSTREAMS].map((a) => target.sources.get(a) ?? 0);
  const corePolicy = async () => ((await h.call('GET', '/switchyard/apps')).json.apps as { key: string; policy: string; target: string | null }[]).find((a) => a.key === CURL);

  beforeAll(async () => {
    await ensureUiBuilt();
    [target, ...micro] = await Promise.all([startHttpTarget(), ...UPSTREAMS.map((bindOutgoing) => startMicrosocks({ bindOutgoing }))]);
    h = await startApi(`mixed-port: 7890
external-controller: 127.0.0.1:9090
secret: ${SECRET}
proxies:
  - { name: up2, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
  - { name: up3, type: socks5, server: 127.0.0.1, port: ${micro[1]!.port} }
proxy-groups:
  - { name: duo, type: load-balance, strategy: round-robin, proxies: [up2, up3] }
  - { name: only3, type: select, proxies: [up3] }
rules:
  - IP-CIDR,127.0.0.0/8,duo
  - MATCH,DIRECT
`);
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await Promise.all([...micro.map((m) => m.stop()), target?.close()]);
  });

  it('tracking turned on from the page lists curl; Direct, a pool and Block set there decide where curl goes', async () => {
    await page.goto(`${h.base}/ui/#/apps?token=${SECRET}`);
    const tracking = page.getByTestId('apps-tracking');
    await expect.poll(() => page.getByTestId('apps-note').textContent()).toMatch(/ignore the system proxy.*TUN/);
    expect(await tracking.isChecked()).toBe(false);
    expect((await h.call('GET', '/switchyard/apps')).json.tracking).toBe(false);
    await tracking.click();
    await eventually(async () => (await h.call('GET', '/switchyard/apps')).json.tracking === true, 'the core to track processes');
    expect(await tracking.isChecked()).toBe(true);

    // By the profile's rules curl goes through the pool: the request leaves from a microsocks address.
    expect((await curlVia(h.mixedPort, target.url('/hello'))).ok).toBe(true);
    const [direct, viaA, viaB] = sourceCounts();
    expect([direct, viaA! + viaB!]).toEqual([0, 1]);
    await curlRow().waitFor({ timeout: 5000 });
    expect(await curlRow().getAttribute('data-app-name')).toBe('curl');
    expect(await curlRow().locator('td').nth(1).textContent()).toMatch(/^\s*1\s*$/);
    expect(await curlRow().locator('td').nth(2).textContent()).toMatch(/↑ \d+ B\s*↓ \d+ B/);
    expect(await curlRow().getAttribute('data-policy')).toBe('default');

    await curlRow().getByTestId('policy-direct').click();
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('direct');
    expect(await corePolicy()).toMatchObject({ policy: 'direct', target: null });
    target.sources.clear();
    expect((await curlVia(h.mixedPort, target.url('/hello'))).ok).toBe(true);
    expect(sourceCounts()).toEqual([1, 0, 0]);

    // Picking a pool applies it at once: through `only3`, whose one member leaves from 127.0.0.3.
    await curlRow().getByTestId('policy-pool-target').selectOption('only3');
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('pool');
    expect(await corePolicy()).toMatchObject({ policy: 'pool', target: 'only3' });
    target.sources.clear();
    expect((await curlVia(h.mixedPort, target.url('/hello'))).ok).toBe(true);
    expect(sourceCounts()).toEqual([0, 0, 1]);

    // A refusal by the core shows in curl's row, and the picker goes back to what the core has.
    await curlRow().getByTestId('policy-pool-target').evaluate((select: HTMLSelectElement) => {
      select.options[0]!.value = 'no-such-pool';
      select.value = 'no-such-pool';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await expect.poll(() => curlRow().getByTestId('action-error').textContent()).toMatch(/^400: target: expected the name of a pool \(.*duo.*\), got "no-such-pool"/);
    expect(await curlRow().getByTestId('policy-pool-target').inputValue()).toBe('only3');
    expect(await corePolicy()).toMatchObject({ policy: 'pool', target: 'only3' });
    await screenshot(page, 'apps-refused-light');
    await curlRow().getByTestId('action-error').getByRole('button', { name: 'dismiss' }).click();

    // Block with "also close its open connections": a slow request in flight is cut, and the next is refused.
    const slow = curlVia(h.mixedPort, target.url('/slow/8000'));
    await eventually(() => h.engine.tracker.list().some((c) => c.meta.process?.path === CURL), 'the slow curl connection to be open');
    await page.getByTestId('apps-close-open').check();
    const blockedAt = Date.now();
    await curlRow().getByTestId('policy-block').click();
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('block');
    await expect.poll(() => curlRow().getByRole('status').textContent()).toBe('closed 1 connection');
    const cut = await slow;
    expect(cut.code).not.toBe(0);
    expect(Date.now() - blockedAt).toBeLessThan(5000);
    const refused = await curlVia(h.mixedPort, target.url('/hello'));
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/SOCKS|proxy/i);
    await page.getByTestId('apps-close-open').uncheck();

    await curlRow().getByTestId('policy-default').click();
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('default');
    expect(await corePolicy()).toMatchObject({ policy: 'default', target: null });
    target.sources.clear();
    expect((await curlVia(h.mixedPort, target.url('/hello'))).ok).toBe(true);
    const [directAfter, aAfter, bAfter] = sourceCounts();
    expect([directAfter, aAfter! + bAfter!]).toEqual([0, 1]);
    // Every connection that reached the target counts, the cut one too (5); the refused one never opened.
    await expect.poll(() => curlRow().locator('td').nth(1).textContent(), { timeout: 5000 }).toMatch(/^\s*5\s*$/);
  });

  it('renders in light and dark', async () => {
    await curlRow().getByTestId('policy-direct').click();
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('direct');
    for (const theme of ['light', 'dark'] as const) {
      await page.goto(`${h.base}/ui/#/settings`);
      await page.getByTestId(`theme-${theme}`).check();
      await page.goto(`${h.base}/ui/#/apps`);
      await curlRow().waitFor();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      await screenshot(page, `apps-${theme}`);
    }
    await curlRow().getByTestId('policy-default').click();
    await expect.poll(() => curlRow().getAttribute('data-policy')).toBe('default');
  });
});
