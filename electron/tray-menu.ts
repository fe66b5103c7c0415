import { MODES, STRATEGY_NAMES, type Mode } from '../core/config/types.js';
import type { CoreStatus } from './contract.js';

/**
 * The tray as plain data, built from core state: icon, tooltip and menu. The Electron adapter (tray.ts)
 * only turns this model into a Menu; every decision about what the tray shows is made here.
 */

export interface TrayMember {
  name: string;
  alive: boolean;
  latencyMs: number | null;
}

/** A pool as GET /switchyard/pools describes it (the fields the tray uses). */
export interface TrayPool {
  name: string;
  /** select | url-test | fallback | load-balance */
  type: string;
  strategy: string;
  /** The selected or current member. */
  now: string | null;
  members: TrayMember[];
  backup: TrayMember[];
}

export interface TrayInput {
  core: CoreStatus;
  systemProxy: { enabled: boolean; available: boolean };
  /** From GET /configs; null until read. */
  mode: Mode | null;
  pools: TrayPool[];
  /** Bytes per second from the stats stream; null until the first frame. */
  rates: { up: number; down: number } | null;
  /** A "test all" round is running. */
  testing: boolean;
}

export type TrayIconState = 'off' | 'on' | 'degraded';

export type TrayAction =
  | { kind: 'toggle-system-proxy' }
  | { kind: 'set-mode'; mode: Mode }
  | { kind: 'select-member'; pool: string; member: string }
  | { kind: 'set-strategy'; pool: string; strategy: string }
  | { kind: 'test-all' }
  | { kind: 'import-clipboard' }
  | { kind: 'open-window' }
  | { kind: 'restart-core' }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'normal'; label: string; enabled: boolean; action?: TrayAction }
  | { type: 'checkbox' | 'radio'; label: string; enabled: boolean; checked: boolean; action?: TrayAction }
  | { type: 'submenu'; label: string; enabled: boolean; items: TrayMenuItem[] };

export interface TrayMenuOptions {
  /** Members listed per pool; the rest are in the window (v2rayN keeps its tray list short the same way). */
  maxMembers?: number;
}

/** Clash's selector for `mode: global`; shown only in global mode, where it is the one that matters. */
const GLOBAL_POOL = 'GLOBAL';
const DEFAULT_MAX_MEMBERS = 20;
const MODE_LABELS: Record<Mode, string> = { rule: 'Rule', global: 'Global', direct: 'Direct' };

const separator = (): TrayMenuItem => ({ type: 'separator' });

/** Pools the tray lists for this mode. */
export function visiblePools(input: Pick<TrayInput, 'pools' | 'mode'>): TrayPool[] {
  return input.pools.filter((p) => p.name !== GLOBAL_POOL || input.mode === 'global');
}

/** What "test all" probes: every pool but GLOBAL (which holds all of them), or GLOBAL when it is the only one. */
export function poolsToTest(pools: readonly TrayPool[]): string[] {
  const own = pools.filter((p) => p.name !== GLOBAL_POOL).map((p) => p.name);
  return own.length ? own : pools.filter((p) => p.name === GLOBAL_POOL).map((p) => p.name);
}

/** A pool with members none of which is alive, backups included. */
export function hasNoLiveMember(pool: TrayPool): boolean {
  const all = [...pool.members, ...pool.backup];
  return all.length > 0 && all.every((m) => !m.alive);
}

/** off: the core is not running or the system proxy is off; degraded: some pool has no live member. */
export function trayIconState(input: TrayInput): TrayIconState {
  if (input.core !== 'running') return 'off';
  if (visiblePools(input).some(hasNoLiveMember)) return 'degraded';
  return input.systemProxy.enabled ? 'on' : 'off';
}

export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let value = Math.max(0, bytesPerSecond);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

const CORE_LINES: Record<CoreStatus, string> = {
  starting: 'core starting…',
  running: 'running',
  restarting: 'core restarting…',
  failed: 'core stopped after repeated crashes',
  stopped: 'core stopped',
};

/** Short enough for Windows (127 characters at most). */
export function trayTooltip(input: TrayInput): string {
  if (input.core !== 'running') return `Switchyard: ${CORE_LINES[input.core]}`;
  const proxy = input.systemProxy.enabled ? 'system proxy on' : 'system proxy off';
  const mode = input.mode ? `, ${input.mode}` : '';
  const degraded = visiblePools(input).filter(hasNoLiveMember).length;
  const warning = degraded ? `, ${degraded} pool${degraded > 1 ? 's' : ''} down` : '';
  const rates = input.rates ? `\n↑ ${formatRate(input.rates.up)}  ↓ ${formatRate(input.rates.down)}` : '';
  return `Switchyard: ${proxy}${mode}${warning}${rates}`;
}

function memberLabel(m: TrayMember): string {
  if (!m.alive) return `${m.name}  — down`;
  return m.latencyMs === null ? m.name : `${m.name}  — ${Math.round(m.latencyMs)} ms`;
}

/** The first `max` members, plus the current one when it lies beyond them. */
function membersShown(pool: TrayPool, max: number): { shown: TrayMember[]; hidden: number } {
  const all = [...pool.members, ...pool.backup];
  const shown = all.slice(0, max);
  const current = pool.now ? all.find((m) => m.name === pool.now) : undefined;
  if (current && !shown.includes(current)) shown.push(current);
  return { shown, hidden: all.length - shown.length };
}

function strategySubmenu(pool: TrayPool): TrayMenuItem {
  const items: TrayMenuItem[] =
    pool.type === 'load-balance'
      ? STRATEGY_NAMES.map((strategy) => ({
          type: 'radio' as const,
          label: strategy,
          enabled: true,
          checked: strategy === pool.strategy,
          action: { kind: 'set-strategy' as const, pool: pool.name, strategy },
        }))
      : // url-test, fallback and select imply their strategy; only load-balance pools choose one.
        [{ type: 'normal', label: `${pool.strategy} (fixed by ${pool.type})`, enabled: false }];
  return { type: 'submenu', label: `Strategy: ${pool.strategy}`, enabled: true, items };
}

function poolSubmenu(pool: TrayPool, maxMembers: number): TrayMenuItem {
  const { shown, hidden } = membersShown(pool, maxMembers);
  const selectable = pool.type === 'select';
  const members: TrayMenuItem[] = shown.map((m) => ({
    type: 'radio',
    label: memberLabel(m),
    // Only a select pool takes the user's choice; the others show which member they use now.
    enabled: selectable || m.name === pool.now,
    checked: m.name === pool.now,
    ...(selectable ? { action: { kind: 'select-member' as const, pool: pool.name, member: m.name } } : {}),
  }));
  if (hidden > 0) members.push({ type: 'normal', label: `${hidden} more in the window…`, enabled: true, action: { kind: 'open-window' } });
  if (members.length === 0) members.push({ type: 'normal', label: 'no members', enabled: false });
  const status = hasNoLiveMember(pool) ? 'no live server' : pool.now ? pool.now : pool.strategy;
  return { type: 'submenu', label: `${pool.name}  — ${status}`, enabled: true, items: [strategySubmenu(pool), separator(), ...members] };
}

export function buildTrayMenu(input: TrayInput, options: TrayMenuOptions = {}): TrayMenuItem[] {
  const running = input.core === 'running';
  const maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const items: TrayMenuItem[] = [{ type: 'normal', label: `Switchyard — ${CORE_LINES[input.core]}`, enabled: false }];
  if (input.core === 'failed') items.push({ type: 'normal', label: 'Restart core', enabled: true, action: { kind: 'restart-core' } });
  items.push(separator());
  items.push({
    type: 'checkbox',
    label: input.systemProxy.available ? 'System proxy' : 'System proxy (not supported on this desktop)',
    enabled: running && input.systemProxy.available,
    checked: input.systemProxy.enabled,
    action: { kind: 'toggle-system-proxy' },
  });
  items.push({
    type: 'submenu',
    label: input.mode ? `Mode: ${MODE_LABELS[input.mode]}` : 'Mode',
    enabled: running && input.mode !== null,
    items: MODES.map((mode) => ({ type: 'radio' as const, label: MODE_LABELS[mode], enabled: true, checked: mode === input.mode, action: { kind: 'set-mode' as const, mode } })),
  });
  if (running) {
    const pools = visiblePools(input);
    items.push(separator());
    if (pools.length === 0) items.push({ type: 'normal', label: 'No pools in this profile', enabled: false });
    for (const pool of pools) items.push(poolSubmenu(pool, maxMembers));
  }
  items.push(separator());
  items.push({
    type: 'normal',
    label: input.testing ? 'Testing…' : 'Test all now',
    enabled: running && !input.testing,
    action: { kind: 'test-all' },
  });
  items.push({ type: 'normal', label: 'Import from clipboard', enabled: running, action: { kind: 'import-clipboard' } });
  items.push({ type: 'normal', label: 'Open Switchyard', enabled: true, action: { kind: 'open-window' } });
  items.push(separator());
  items.push({ type: 'normal', label: 'Quit', enabled: true, action: { kind: 'quit' } });
  return items;
}
