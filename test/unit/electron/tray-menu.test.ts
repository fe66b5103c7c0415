import { describe, expect, it } from 'vitest';
import { buildTrayMenu, formatRate, poolsToTest, trayIconState, trayTooltip, type TrayMenuItem } from '../../../electron/tray-menu.js';
import { STRATEGY_NAMES } from '../../../core/config/types.js';
import { member, pool, trayInput } from './fixtures.js';

type Labelled = Exclude<TrayMenuItem, { type: 'separator' }>;

function find(items: readonly TrayMenuItem[], label: string | RegExp): Labelled {
  const hit = items.find((i): i is Labelled => i.type !== 'separator' && (typeof label === 'string' ? i.label === label : label.test(i.label)));
  if (!hit) throw new Error(`no menu item ${label} in ${items.map((i) => (i.type === 'separator' ? '---' : i.label)).join(' | ')}`);
  return hit;
}

function submenu(items: readonly TrayMenuItem[], label: string | RegExp): TrayMenuItem[] {
  const item = find(items, label);
  if (item.type !== 'submenu') throw new Error(`${item.label} is no submenu`);
  return item.items;
}

const labels = (items: readonly TrayMenuItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));

describe('tray icon state', () => {
  it('is on with the system proxy on and every pool alive', () => {
    expect(trayIconState(trayInput())).toBe('on');
  });

  it('is off with the system proxy off', () => {
    expect(trayIconState(trayInput({ systemProxy: { enabled: false, available: true } }))).toBe('off');
  });

  it('is off while the core is not running, whatever the proxy flag says', () => {
    for (const core of ['starting', 'restarting', 'failed', 'stopped'] as const) expect(trayIconState(trayInput({ core }))).toBe('off');
  });

  it('is degraded when some pool has no live member, backups included', () => {
    const dead = pool('dead', [member('a', false), member('b', false)]);
    expect(trayIconState(trayInput({ pools: [...trayInput().pools, dead] }))).toBe('degraded');
    const saved = pool('saved', [member('a', false)], { backup: [member('spare', true)] });
    expect(trayIconState(trayInput({ pools: [saved] }))).toBe('on');
  });

  it('is degraded with the system proxy off too: the warning matters either way', () => {
    const dead = pool('dead', [member('a', false)]);
    expect(trayIconState(trayInput({ systemProxy: { enabled: false, available: true }, pools: [dead] }))).toBe('degraded');
  });

  it('ignores a dead GLOBAL selector unless the mode is global', () => {
    const deadGlobal = pool('GLOBAL', [member('x', false)], { type: 'select' });
    expect(trayIconState(trayInput({ pools: [deadGlobal] }))).toBe('on');
    expect(trayIconState(trayInput({ pools: [deadGlobal], mode: 'global' }))).toBe('degraded');
  });
});

describe('tray tooltip', () => {
  it('shows the proxy state, mode and live rates', () => {
    expect(trayTooltip(trayInput())).toBe('Switchyard: system proxy on, rule\n↑ 1.5 KB/s  ↓ 3.0 MB/s');
  });

  it('names pools that are down and the core state when it is not running', () => {
    const dead = pool('dead', [member('a', false)]);
    expect(trayTooltip(trayInput({ pools: [dead], rates: null }))).toBe('Switchyard: system proxy on, rule, 1 pool down');
    expect(trayTooltip(trayInput({ core: 'failed' }))).toBe('Switchyard: core stopped after repeated crashes');
  });

  it('stays within the 127 characters Windows allows', () => {
    const many = Array.from({ length: 50 }, (_, i) => pool(`p${i}`, [member('a', false)]));
    expect(trayTooltip(trayInput({ pools: many, rates: { up: 1e12, down: 1e12 } })).length).toBeLessThanOrEqual(127);
  });

  it('formats rates in binary units', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(1023)).toBe('1023 B/s');
    expect(formatRate(1024)).toBe('1.0 KB/s');
    expect(formatRate(150 * 1024 * 1024)).toBe('150 MB/s');
  });
});

describe('tray menu', () => {
  it('running: proxy toggle, mode, each pool, test, import, open, quit', () => {
    const menu = buildTrayMenu(trayInput());
    expect(labels(menu)).toEqual([
      'Switchyard — running',
      '---',
      'System proxy',
      'Mode: Rule',
      '---',
      'auto  — jp1',
      '---',
      'Test all now',
      'Import from clipboard',
      'Open Switchyard',
      '---',
      'Quit',
    ]);
    expect(find(menu, 'System proxy')).toMatchObject({ type: 'checkbox', checked: true, enabled: true, action: { kind: 'toggle-system-proxy' } });
    const modes = submenu(menu, 'Mode: Rule');
    expect(modes.map((m) => m.type === 'radio' && [m.label, m.checked])).toEqual([
      ['Rule', true],
      ['Global', false],
      ['Direct', false],
    ]);
    expect(find(modes, 'Direct')).toMatchObject({ action: { kind: 'set-mode', mode: 'direct' } });
    expect(find(menu, 'Quit')).toMatchObject({ action: { kind: 'quit' } });
  });

  it('lists members with latency, the current one checked; a load-balance pool chooses among strategies', () => {
    const input = trayInput({ pools: [pool('auto', [member('jp1', true, 120.4), member('jp2', false), member('jp3', true, null)], { now: 'jp3' })] });
    const items = submenu(buildTrayMenu(input), /^auto/);
    expect(labels(items)).toEqual(['Strategy: round-robin', '---', 'jp1  — 120 ms', 'jp2  — down', 'jp3']);
    expect(find(items, 'jp3')).toMatchObject({ type: 'radio', checked: true });
    // Not a select pool: members show state, clicking them does nothing.
    expect(find(items, /^jp1 /)).toMatchObject({ enabled: false });
    expect('action' in find(items, /^jp1 /)).toBe(false);
    const strategies = submenu(items, 'Strategy: round-robin');
    expect(strategies.map((s) => s.type !== 'separator' && s.label)).toEqual([...STRATEGY_NAMES]);
    expect(find(strategies, 'least-connections')).toMatchObject({ checked: false, action: { kind: 'set-strategy', pool: 'auto', strategy: 'least-connections' } });
    expect(find(strategies, 'round-robin')).toMatchObject({ checked: true });
  });

  it('a select pool takes the member the user clicks; its strategy is fixed', () => {
    const input = trayInput({ pools: [pool('choice', [member('a'), member('b')], { type: 'select', strategy: 'select', now: 'a' })] });
    const items = submenu(buildTrayMenu(input), /^choice/);
    expect(find(items, /^b /)).toMatchObject({ enabled: true, checked: false, action: { kind: 'select-member', pool: 'choice', member: 'b' } });
    expect(submenu(items, 'Strategy: select')).toEqual([{ type: 'normal', label: 'select (fixed by select)', enabled: false }]);
  });

  it('limits the members listed, keeps the current one, and points to the window for the rest', () => {
    const members = Array.from({ length: 30 }, (_, i) => member(`s${i}`));
    const input = trayInput({ pools: [pool('big', members, { now: 's25', type: 'select', strategy: 'select' })] });
    const items = submenu(buildTrayMenu(input, { maxMembers: 10 }), /^big/);
    const shown = items.filter((i) => i.type === 'radio').map((i) => (i as Labelled).label.split(' ')[0]);
    expect(shown).toEqual([...Array.from({ length: 10 }, (_, i) => `s${i}`), 's25']);
    expect(find(items, '19 more in the window…')).toMatchObject({ action: { kind: 'open-window' } });
  });

  it('says when a pool has no live server', () => {
    const input = trayInput({ pools: [pool('dead', [member('a', false)])] });
    expect(labels(buildTrayMenu(input))).toContain('dead  — no live server');
  });

  it('shows GLOBAL only in global mode', () => {
    expect(labels(buildTrayMenu(trayInput())).some((l) => l.startsWith('GLOBAL'))).toBe(false);
    expect(labels(buildTrayMenu(trayInput({ mode: 'global' }))).some((l) => l.startsWith('GLOBAL'))).toBe(true);
  });

  it('core down: no pools, actions that need the core disabled, restart offered after giving up', () => {
    const menu = buildTrayMenu(trayInput({ core: 'failed' }));
    expect(labels(menu)).toEqual([
      'Switchyard — core stopped after repeated crashes',
      'Restart core',
      '---',
      'System proxy',
      'Mode: Rule',
      '---',
      'Test all now',
      'Import from clipboard',
      'Open Switchyard',
      '---',
      'Quit',
    ]);
    expect(find(menu, 'Restart core')).toMatchObject({ enabled: true, action: { kind: 'restart-core' } });
    for (const label of ['System proxy', 'Mode: Rule', 'Test all now', 'Import from clipboard']) expect(find(menu, label).enabled).toBe(false);
    expect(find(menu, 'Open Switchyard').enabled).toBe(true);
    expect(labels(buildTrayMenu(trayInput({ core: 'restarting' })))).not.toContain('Restart core');
  });

  it('system proxy unsupported on this desktop: the toggle says so and is disabled', () => {
    const item = find(buildTrayMenu(trayInput({ systemProxy: { enabled: false, available: false } })), /^System proxy/);
    expect(item).toMatchObject({ label: 'System proxy (not supported on this desktop)', enabled: false });
  });

  it('while testing, the test item says so and cannot be started again', () => {
    expect(find(buildTrayMenu(trayInput({ testing: true })), 'Testing…')).toMatchObject({ enabled: false });
  });

  it('"test all" probes the pools but not GLOBAL, unless GLOBAL is all there is', () => {
    expect(poolsToTest(trayInput().pools)).toEqual(['auto']);
    expect(poolsToTest([pool('GLOBAL', [member('DIRECT')])])).toEqual(['GLOBAL']);
  });
});
