import { get, request } from '../lib/api/client.js';
import type { ClashConfigs } from '../lib/api/types.js';
import { runAction } from './actions.svelte.js';

/** `GET /configs`: ports, LAN, mode, log level. Loaded on start and after each change. */
export const configs = $state({
  current: null as ClashConfigs | null,
  version: '',
  error: '',
});

export async function loadConfigs(): Promise<void> {
  try {
    const [c, v] = await Promise.all([get<ClashConfigs>('/configs'), get<{ version: string }>('/version')]);
    configs.current = c;
    configs.version = v.version;
    configs.error = '';
  } catch (err) {
    configs.error = (err as Error).message;
  }
}

/** PATCH /configs with one key; the controller refuses what it cannot change live and says why. */
export function patchConfig(key: 'mode' | 'allow-lan' | 'log-level', value: unknown): Promise<void | undefined> {
  return runAction(`config:${key}`, async () => {
    try {
      await request('PATCH', '/configs', { [key]: value });
    } finally {
      await loadConfigs();
    }
  });
}

const LAST_ON_MODE = 'switchyard.lastOnMode';

/**
 * The tray's on/off: off sends everything DIRECT (`mode: direct`), on goes back to the mode used before
 * (rule unless the user had chosen global). The desktop shell's system-proxy switch is its own thing.
 */
export function setProxying(on: boolean): Promise<void | undefined> {
  const mode = configs.current?.mode;
  if (!on && mode && mode !== 'direct') localStorage.setItem(LAST_ON_MODE, mode);
  const back = localStorage.getItem(LAST_ON_MODE) === 'global' ? 'global' : 'rule';
  return runAction('config:mode', async () => {
    try {
      await request('PATCH', '/configs', { mode: on ? back : 'direct' });
    } finally {
      await loadConfigs();
    }
  });
}
