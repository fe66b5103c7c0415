import type { TrayInput, TrayMember, TrayPool } from '../../../electron/tray-menu.js';

/** Tray inputs for tests: a running core with the system proxy on and healthy pools unless overridden. */
export function member(name: string, alive = true, latencyMs: number | null = 100): TrayMember {
  return { name, alive, latencyMs };
}

export function pool(name: string, members: TrayMember[], overrides: Partial<TrayPool> = {}): TrayPool {
  return { name, type: 'load-balance', strategy: 'round-robin', now: members[0]?.name ?? null, members, backup: [], ...overrides };
}

export function trayInput(overrides: Partial<TrayInput> = {}): TrayInput {
  return {
    core: 'running',
    systemProxy: { enabled: true, available: true },
    mode: 'rule',
    pools: [pool('auto', [member('jp1', true, 120), member('jp2', true, 80)]), pool('GLOBAL', [member('auto'), member('DIRECT')], { type: 'select', strategy: 'select' })],
    rates: { up: 1536, down: 3 * 1024 * 1024 },
    testing: false,
    ...overrides,
  };
}
