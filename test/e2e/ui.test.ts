import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget, type HttpTarget } from '../helpers/http-target.js';
import { freePort } from '../helpers/ports.js';
import { exitWithin, startDownload, startTrickleTarget, type TrickleTarget } from '../helpers/trickle-download.js';
import { startMicrosocks, type ReferenceServer } from '../helpers/reference-servers.js';
import { eventually, startApi, type ApiHarness } from '../unit/api/harness.js';
import { body, startSubscriptionServer, type SubscriptionServer } from '../integration/subscription/subscription-server.js';
import { createProtocolRegistry } from '../../core/protocol/index.js';
import { openStore, type Store } from '../../core/store/index.js';
import { SubscriptionService } from '../../core/subscription/refresh.js';
import { haveChromium, launchChromium, NO_CHROMIUM_REASON, type Browser } from './browser.js';
import { ARTIFACTS, screenshot } from './harness.js';
import { ensureUiBuilt } from './ui-build.js';

const HK = 'socks 香港';
const TOKYO = 'socks tokyo';
const DEAD = 'socks dead';
const SECRET = 'e2e-secret-7Qx';

/** A Clash YAML subscription body of socks5 servers: name → port. */
const clashYaml = (servers: Record<string, number>) =>
  `proxies:\n${Object.entries(servers)
    .map(([name, port]) => `  - { name: "${name}", type: socks5, server: 127.0.0.1, port: ${port} }`)
    .join('\n')}\n`;

describe.skipIf(!haveChromium)(`Switchyard UI in Chromium against a running core${haveChromium ? '' : ` (skipped: ${NO_CHROMIUM_REASON})`}`, () => {
  let socksA: ReferenceServer;
  let socksB: ReferenceServer;
  let target: HttpTarget;
  let trickle: TrickleTarget;
  let subs: SubscriptionServer;
  let dataDir: string;
  let store: Store;
  let service: SubscriptionService;
  let h: ApiHarness;
  let browser: Browser;
  let page: Page;
  const downloads: ChildProcess[] = [];

  const ui = (fragment: string) => `${h.base}/ui/#${fragment}`;
  const serverRow = (name: string) => page.locator(`.server-row[data-server="${name}"]`);
  /** The download rate a server's row shows, from the data the Rates component renders. */
  const rowDown = async (name: string) => Number(await serverRow(name).first().locator('[data-testid="rates"]').getAttribute('data-down'));

  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    await ensureUiBuilt();
    await mkdir(ARTIFACTS, { recursive: true });
    [socksA, socksB, target, trickle, subs] = await Promise.all([startMicrosocks(), startMicrosocks(), startHttpTarget(), startTrickleTarget(), startSubscriptionServer()]);
    const deadPort = await freePort();
    // A profile proxy-provider whose servers are the real microsocks; the test changes its body later.
    subs.route('/feed', body(clashYaml({ 'feed one': socksA.port })));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-e2e-data-'));
    store = openStore(dataDir);
    service = new SubscriptionService({ store, registry: createProtocolRegistry(), fetch: { timeoutMs: 2000 } });
    h = await startApi(
      `mixed-port: 7890
external-controller: 127.0.0.1:9090
secret: ${SECRET}
proxies:
  - { name: "${HK}", type: socks5, server: 127.0.0.1, port: ${socksA.port} }
  - { name: "${TOKYO}", type: socks5, server: 127.0.0.1, port: ${socksB.port} }
  - { name: "${DEAD}", type: socks5, server: 127.0.0.1, port: ${deadPort} }
proxy-providers:
  feed: { type: http, url: "${subs.url('/feed')}", interval: 3600 }
proxy-groups:
  - { name: auto, type: load-balance, strategy: round-robin, proxies: ["${HK}", "${TOKYO}"], url: "${target.url('/hello')}", interval: 0, timeout: 2000 }
  - { name: spare, type: fallback, proxies: ["${DEAD}", "${TOKYO}"], url: "${target.url('/hello')}", interval: 0, timeout: 2000 }
  - { name: fed, type: load-balance, strategy: random, use: [feed], url: "${target.url('/hello')}", interval: 0, timeout: 2000 }
  - { name: everything, type: load-balance, strategy: round-robin, include-all-providers: true }
rules:
  - IP-CIDR,127.0.0.0/8,auto
  - MATCH,DIRECT
`,
      { subscriptions: service },
      // The stored subscriptions and servers run in the engine, as in the app (core/run-data.ts).
      { stored: { store, refreshSubscription: (id) => service.refresh(id) } },
    );
    browser = await launchChromium();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    for (const d of downloads) d.kill();
    await browser?.close();
    await h?.close();
    service?.stop();
    store?.close();
    await Promise.all([socksA?.stop(), socksB?.stop(), target?.close(), trickle?.close(), subs?.close()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('takes the token from the link, drops it from the address bar, and lists every server', async () => {
    await page.goto(ui(`/servers?token=${SECRET}`));
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/servers');
    expect(await page.evaluate(() => sessionStorage.getItem('switchyard.token'))).toBe(SECRET);
    for (const name of [HK, TOKYO, DEAD]) await serverRow(name).first().waitFor();
    expect(await page.locator('nav .link-state').textContent()).toBe('live');
  });

  it('a latency test updates the badge; a failed one shows its error in the row it was started from', async () => {
    await page.goto(ui('/servers'));
    const row = serverRow(HK).first();
    await expect.poll(() => row.getByTestId('latency').textContent()).toBe('—');
    await row.getByTestId('test-latency').click();
    await expect.poll(() => row.getByTestId('latency').textContent(), { timeout: 10_000 }).toMatch(/^\d+ ms$/);
    // The core recorded it too: the next frames keep showing a measured latency.
    await eventually(async () => (await h.call('GET', '/switchyard/pools')).json.pools.find((p: { name: string }) => p.name === 'auto').members[0].latencyMs !== null, 'the pool to hold the measurement');

    const dead = serverRow(DEAD).first();
    await dead.getByTestId('test-latency').click();
    await expect.poll(() => dead.getByTestId('latency').textContent(), { timeout: 10_000 }).toBe('failed');
    await expect.poll(() => dead.getByTestId('action-error').textContent()).toMatch(/^50[34]: /);
    await shot('servers-latency-tested');
  });

  it('per-server rates move while curl downloads through the pool, and return to zero after', async () => {
    await page.goto(ui('/servers'));
    await serverRow(HK).first().waitFor();
    const download = startDownload(h.mixedPort, trickle.url);
    downloads.push(download.child);
    // Round-robin picks one of the two; whichever it is shows the download, rising from zero.
    let picked = '';
    await eventually(
      async () => {
        for (const name of [HK, TOKYO]) if ((await rowDown(name)) > 0) picked = name;
        return picked !== '';
      },
      'a server row to show a download rate',
      10_000,
    );
    const other = picked === HK ? TOKYO : HK;
    // Two frames later it is still flowing (~320 KiB/s), and only through the picked server.
    await page.waitForTimeout(2100);
    expect(await rowDown(picked)).toBeGreaterThan(100_000);
    expect(await rowDown(other)).toBe(0);
    expect(Number(await serverRow(picked).first().locator('.active').textContent())).toBe(1);

    await page.goto(ui('/overview'));
    await page.locator(`[data-testid="busy-servers"] li[data-server="${picked}"]`).waitFor();
    await page.waitForTimeout(1500); // a few points on the chart
    await shot('overview-downloading');

    download.child.kill();
    await download.exited;
    await page.goto(ui('/servers'));
    await eventually(async () => (await rowDown(picked)) === 0, 'the rate to return to zero', 6000);
    expect(Number(await serverRow(picked).first().locator('.active').textContent())).toBe(0);
  });

  it('closing a connection on the connections page ends the download', async () => {
    const download = startDownload(h.mixedPort, trickle.url);
    downloads.push(download.child);
    await page.goto(ui('/connections'));
    const row = page.locator('[data-connection]');
    await row.first().waitFor({ timeout: 10_000 });
    expect(await row.count()).toBe(1);
    expect(await row.first().locator('.chain').textContent()).toMatch(new RegExp(`^auto → (${HK}|${TOKYO})$`));
    expect(await row.first().getAttribute('data-target')).toBe(`127.0.0.1:${new URL(trickle.url).port}`);
    await page.waitForTimeout(1200);
    await shot('connections-one-open');

    expect(await exitWithin(download.exited, 0)).toBe('running');
    await row.first().getByTestId('close-connection').click();
    const code = await exitWithin(download.exited, 5000);
    expect(code).not.toBe('running');
    expect(code).not.toBe(0); // curl saw its transfer cut short
    await expect.poll(() => row.count()).toBe(0);
    expect(h.engine.tracker.size).toBe(0);
  });

  it('changes a pool strategy live from the pools page, and shows a refusal next to the control', async () => {
    await page.goto(ui('/pools'));
    const auto = page.locator('[data-pool="auto"]');
    await auto.getByTestId('strategy').selectOption('least-connections');
    await eventually(async () => (await h.call('GET', '/proxies/auto')).json.strategy === 'least-connections', 'the core to use least-connections');
    await expect.poll(() => auto.locator('.explain').textContent()).toMatch(/fewest open connections/);
    await shot('pools-strategy-changed');

    await page.goto(ui('/settings'));
    await page.getByTestId('allow-lan').click();
    await expect.poll(() => page.getByTestId('action-error').textContent()).toMatch(/allow-lan: cannot change while running/);
    expect(await page.getByTestId('allow-lan').isChecked()).toBe(false);
    expect(await page.getByTestId('mixed-port').textContent()).toBe(String(h.mixedPort));
    await shot('settings-lan-refused');
  });

  it('a subscription added on the subscriptions page is fetched at once: its servers, usage and expiry show; a failing one shows its error', async () => {
    subs.route('/sub', body(clashYaml({ 'sub osaka': socksA.port, 'sub seoul': socksB.port, 'sub taipei': socksB.port }), { 'subscription-userinfo': 'upload=1073741824; download=3221225472; total=10737418240; expire=1900000000' }));
    await page.goto(ui('/subscriptions'));
    await page.getByLabel('subscription URL').fill(subs.url('/sub?token=secret-sub-token'));
    await page.getByLabel('subscription name').fill('My provider');
    await page.getByTestId('add-subscription').click();
    const row = page.locator('tr[data-subscription="My provider"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('subscription-servers').textContent()).toBe('3');
    expect(await row.textContent()).toContain('4.0 GB / 10.0 GB (40%)');
    expect(await row.textContent()).toMatch(/2030/); // expire=1900000000 is in March 2030
    expect(await row.textContent()).not.toContain('secret-sub-token'); // the URL's token stays off the page
    await row.getByTestId('subscription-servers').click();
    await expect.poll(() => page.getByTestId('subscription-server-list').textContent()).toMatch(/sub osaka.*sub seoul.*sub taipei/);
    expect((await h.call('GET', '/switchyard/subscriptions')).json.subscriptions.map((x: { name: string }) => x.name)).toEqual(['My provider']);

    // A subscription whose server answers 404: stored, and the failure shown where the user added it.
    await page.getByLabel('subscription URL').fill(subs.url('/missing'));
    await page.getByLabel('subscription name').fill('Broken');
    await page.getByTestId('add-subscription').click();
    await expect.poll(() => page.locator('section').first().getByTestId('action-error').textContent(), { timeout: 10_000 }).toMatch(/^added, but the first download failed: .*404/);
    await expect.poll(() => page.locator('tr[data-subscription="Broken"]').textContent()).toMatch(/failed .*404/);
    await shot('subscriptions-added');
  });

  it('adding servers by share link on the servers page stores them; a bad link is answered next to the form', async () => {
    await page.goto(ui('/servers'));
    const links = page.getByLabel('share links');
    await expect.poll(() => links.isDisabled()).toBe(false);
    await links.fill('trojan://pw@198.51.100.20:443?security=tls&sni=example.com#by%20link');
    await page.locator('form.add').getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => page.locator('form.add [role=status]').textContent()).toBe('added 1');
    const stored = (await h.call('GET', '/switchyard/servers')).json.servers as { name: string; type: string; subscription: string | null }[];
    expect(stored.find((x) => x.name === 'by link')).toMatchObject({ type: 'trojan', subscription: null });
    await links.fill('not-a-link');
    await page.locator('form.add').getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => page.locator('form.add').getByTestId('action-error').textContent()).toMatch(/links\[0\]: /);
  });

  it('a subscription’s servers run in the pool that includes all providers; switched off on the servers page one leaves it and is listed under Off, and comes back', async () => {
    const members = async () => (await h.call('GET', '/proxies/everything')).json.all as string[];
    expect(await members()).toEqual(expect.arrayContaining(['sub osaka', 'sub seoul', 'sub taipei', 'by link']));
    // They run as providers, but the subscriptions page lists them once, as subscriptions.
    await page.goto(ui('/subscriptions'));
    await page.locator('tr[data-provider="feed"]').waitFor();
    expect(await page.locator('tr[data-provider="My provider"], tr[data-provider="Manual"]').count()).toBe(0);
    await page.goto(ui('/servers'));
    const running = page.locator('.server-row:not(.off)[data-server="sub osaka"]').first();
    await running.waitFor({ timeout: 5000 });
    await expect.poll(() => running.locator('.pools').textContent()).toContain('everything');

    // click, not uncheck(): the row leaves for the Off group at once, which uncheck() would wait to verify.
    await running.locator('.toggle input').click();
    await expect.poll(members).not.toContain('sub osaka');
    const off = page.locator('.server-row.off[data-server="sub osaka"]');
    await off.waitFor({ timeout: 5000 });
    expect(await off.textContent()).toContain('My provider · disabled');
    expect(await page.locator('button.group', { hasText: 'Off: disabled or unsupported' }).textContent()).toContain('1 servers');
    await shot('servers-one-off');

    await off.locator('.toggle input').click();
    await expect.poll(members).toContain('sub osaka');
    await running.waitFor({ timeout: 5000 });
    await expect.poll(() => off.count()).toBe(0);
  });

  it('refreshing a profile proxy-provider brings its new servers into the pool and onto the servers page', async () => {
    await page.goto(ui('/servers'));
    await serverRow('feed one').first().waitFor();
    expect(await serverRow('feed two').count()).toBe(0);
    subs.route('/feed', body(clashYaml({ 'feed one': socksA.port, 'feed two': socksB.port }), { 'subscription-userinfo': 'upload=0; download=536870912; total=2147483648' }));

    await page.goto(ui('/subscriptions'));
    const provider = page.locator('tr[data-provider="feed"]');
    expect(await provider.getByTestId('provider-count').textContent()).toBe('1');
    await provider.getByTestId('refresh-provider').click();
    await expect.poll(() => provider.getByTestId('provider-count').textContent(), { timeout: 10_000 }).toBe('2');
    expect(await provider.textContent()).toContain('512 MB / 2.0 GB (25%)');

    await page.goto(ui('/servers'));
    const fed = page.locator('.server-row[data-server="feed two"]').first(); // listed under each of its pools
    await fed.waitFor({ timeout: 5000 });
    expect(await fed.locator('.pools').textContent()).toBe('fed · everything');
    // A new server is tested like any other: through the pool's provider proxy, a real microsocks.
    await fed.getByTestId('test-latency').click();
    await expect.poll(() => fed.getByTestId('latency').textContent(), { timeout: 10_000 }).toMatch(/^\d+ ms$/);
    await page.locator('select').filter({ hasText: 'subscription' }).selectOption('subscription');
    await page.locator('button.group', { hasText: 'feed' }).waitFor();
  });

  it('the logs page shows the core’s log lines as they are written, at the level chosen', async () => {
    await page.goto(ui('/logs'));
    await expect.poll(() => page.getByTestId('log-state').textContent()).toMatch(/^live/);
    expect((await h.call('PATCH', '/configs', { body: { mode: 'global' } })).status).toBe(204);
    await page.locator('.line', { hasText: 'mode changed by the controller mode=global' }).waitFor();
    expect((await h.call('PATCH', '/configs', { body: { mode: 'rule' } })).status).toBe(204);
    await page.locator('.line', { hasText: 'mode changed by the controller mode=rule' }).waitFor();
    await shot('logs-lines');
    // At error level the stream carries no info lines.
    await page.getByLabel('log level').selectOption('error');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.getByTestId('log-state').textContent()).toMatch(/^live/);
    expect((await h.call('PATCH', '/configs', { body: { mode: 'global' } })).status).toBe(204);
    expect((await h.call('PATCH', '/configs', { body: { mode: 'rule' } })).status).toBe(204);
    await page.waitForTimeout(500);
    expect(await page.locator('.line').count()).toBe(0);
    await page.getByLabel('log level').selectOption('info');
  });

  it('renders every page in light and dark, with a download flowing', async () => {
    const download = startDownload(h.mixedPort, trickle.url);
    downloads.push(download.child);
    await eventually(() => h.engine.tracker.size === 1, 'the download to start', 10_000);
    for (const theme of ['light', 'dark'] as const) {
      await page.goto(ui('/settings'));
      await page.getByTestId(`theme-${theme}`).check();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      for (const name of ['overview', 'servers', 'pools', 'subscriptions', 'connections', 'logs', 'settings']) {
        await page.goto(ui(`/${name}`));
        await page.locator('main h1').waitFor();
        await page.waitForTimeout(name === 'overview' ? 2500 : 1200); // a few frames of live numbers
        await shot(`${name}-${theme}`);
      }
    }
    await page.setViewportSize({ width: 360, height: 480 });
    await page.goto(ui('/tray'));
    await page.locator('.tray [data-pool="auto"]').waitFor();
    await shot('tray-dark');
    await page.getByTestId('tray-test-all').click();
    await expect.poll(() => page.locator(`.tray [data-server="${TOKYO}"] [data-testid="latency"]`).first().textContent(), { timeout: 10_000 }).toMatch(/^\d+ ms$/);
    await page.goto(ui('/settings'));
    await page.setViewportSize({ width: 1360, height: 860 });
    await page.getByTestId('theme-light').check();
    await page.setViewportSize({ width: 360, height: 480 });
    await page.goto(ui('/tray'));
    await page.locator('.tray [data-pool="auto"]').waitFor();
    await shot('tray-light');
    await page.setViewportSize({ width: 1360, height: 860 });
    download.child.kill();
    await download.exited;
  });

  it('the tray switch turns proxying off (mode direct) and back on to the mode before', async () => {
    await page.setViewportSize({ width: 360, height: 480 });
    await page.goto(ui('/tray'));
    const power = page.getByTestId('tray-power');
    await expect.poll(() => power.isChecked()).toBe(true);
    await power.click();
    await eventually(async () => (await h.call('GET', '/configs')).json.mode === 'direct', 'mode direct');
    await expect.poll(() => power.isChecked()).toBe(false);
    await power.click();
    await eventually(async () => (await h.call('GET', '/configs')).json.mode === 'rule', 'mode rule again');
    await page.setViewportSize({ width: 1360, height: 860 });
  });

  it('in the desktop shell (a scripted preload bridge) the page takes the controller from the bridge and the tray switch drives the system proxy', async () => {
    const shell = await launchChromium({ width: 380, height: 520 });
    try {
      // What electron/preload.cjs exposes, answering as main would; calls are recorded for the assertions.
      await shell.context.addInitScript(
        ({ url, token }) => {
          const calls: unknown[][] = [];
          let enabled = false;
          const listeners: Record<string, ((p: unknown) => void)[]> = {};
          const status = () => ({ enabled, backend: 'gnome', endpoint: enabled ? { host: '127.0.0.1', port: 7890 } : null });
          (window as unknown as Record<string, unknown>).__desktopCalls = calls;
          (window as unknown as Record<string, unknown>).switchyardDesktop = {
            getController: async () => (calls.push(['getController']), { result: { url, token } }),
            getState: async () => ({ result: { systemProxy: status(), autostart: false, core: 'running' } }),
            setSystemProxy: async (on: boolean) => {
              calls.push(['setSystemProxy', on]);
              enabled = on;
              return { result: status() };
            },
            setAutostart: async (on: boolean) => ({ result: on }),
            importFromClipboard: async () => ({ error: { code: 'CLIPBOARD_EMPTY', message: 'the clipboard holds no subscription URL' } }),
            quit: async () => ({ result: null }),
            on: (event: string, listener: (p: unknown) => void) => ((listeners[event] ??= []).push(listener), () => undefined),
          };
        },
        { url: h.base, token: SECRET },
      );
      const tray = await shell.context.newPage();
      await tray.goto(`${h.base}/ui/#/tray`); // no token in the URL, as electron/windows.ts loads it
      await tray.locator('.tray [data-pool="auto"]').waitFor();
      expect(await tray.evaluate(() => sessionStorage.getItem('switchyard.token'))).toBeNull();
      const power = tray.getByTestId('tray-power');
      expect(await power.isChecked()).toBe(false);
      await power.click();
      await expect.poll(() => power.isChecked()).toBe(true);
      expect(await tray.evaluate(() => (window as unknown as { __desktopCalls: unknown[] }).__desktopCalls)).toEqual([['getController'], ['setSystemProxy', true]]);
      // The mode stayed as it was: the switch is the system proxy here, not mode direct.
      expect((await h.call('GET', '/configs')).json.mode).toBe('rule');
      await tray.getByRole('button', { name: 'Import' }).click();
      await expect.poll(() => tray.getByTestId('action-error').locator('.text').textContent()).toBe('the clipboard holds no subscription URL');
      await tray.screenshot({ path: path.join(ARTIFACTS, 'ui-tray-desktop.png') });
    } finally {
      await shell.close();
    }
  });

  it('asks for the secret again when the stored one is refused', async () => {
    await page.evaluate(() => sessionStorage.setItem('switchyard.token', 'wrong'));
    await page.goto(ui('/overview'));
    await page.reload();
    await page.getByText('The controller refused this secret (401)').waitFor();
    await page.getByLabel('controller secret').fill(SECRET);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
  });
});
