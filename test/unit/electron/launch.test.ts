import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, planLaunch, resolveProfile, userDataDir, type LaunchProbe } from '../../../electron/launch.js';

const probe = (overrides: Partial<LaunchProbe> = {}): LaunchProbe => ({
  platform: 'linux',
  env: { DISPLAY: ':0' },
  requireElectron: () => '/app/node_modules/electron/dist/electron',
  exists: () => true,
  ...overrides,
});

describe('planLaunch', () => {
  it('starts Electron where the binary is there and a display is', () => {
    expect(planLaunch(probe())).toEqual({ kind: 'electron', electronPath: '/app/node_modules/electron/dist/electron' });
    expect(planLaunch(probe({ env: { WAYLAND_DISPLAY: 'wayland-0' } })).kind).toBe('electron');
    expect(planLaunch(probe({ platform: 'darwin', env: {} })).kind).toBe('electron');
  });

  it('falls back, with the reason, when require("electron") throws (install script never ran)', () => {
    const plan = planLaunch(
      probe({
        requireElectron: () => {
          throw new Error('Electron failed to install correctly, please delete node_modules/electron and try installing again\nmore');
        },
      }),
    );
    expect(plan).toEqual({ kind: 'headless', reason: 'the Electron binary is not installed (Electron failed to install correctly, please delete node_modules/electron and try installing again)' });
  });

  it('falls back when the path is missing or names no file, and without a display on Linux', () => {
    expect(planLaunch(probe({ requireElectron: () => undefined }))).toEqual({ kind: 'headless', reason: 'the electron package gave no binary path' });
    expect(planLaunch(probe({ exists: () => false }))).toEqual({ kind: 'headless', reason: 'the Electron binary is missing (/app/node_modules/electron/dist/electron)' });
    expect(planLaunch(probe({ env: {} }))).toEqual({ kind: 'headless', reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' });
    expect(planLaunch(probe({ env: { DISPLAY: ':0', SWITCHYARD_HEADLESS: '1' } }))).toEqual({ kind: 'headless', reason: 'SWITCHYARD_HEADLESS=1 is set' });
  });
});

describe('profile and data folder', () => {
  it('follows Electron userData per platform', () => {
    expect(userDataDir('linux', {}, '/home/me')).toBe(path.join('/home/me', '.config', 'Switchyard'));
    expect(userDataDir('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/me')).toBe(path.join('/cfg', 'Switchyard'));
    expect(userDataDir('darwin', {}, '/Users/me')).toBe(path.join('/Users/me', 'Library', 'Application Support', 'Switchyard'));
    expect(userDataDir('win32', { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'C:\\Users\\me')).toBe(path.join('C:\\Users\\me\\AppData\\Roaming', 'Switchyard'));
  });

  it('SWITCHYARD_PROFILE, else the user profile.yaml, else the shipped default', () => {
    expect(resolveProfile({ SWITCHYARD_PROFILE: '/tmp/p.yaml' }, '/data', () => true)).toBe(path.resolve('/tmp/p.yaml'));
    expect(resolveProfile({}, '/data', (f) => f === path.join('/data', 'profile.yaml'))).toBe(path.join('/data', 'profile.yaml'));
    expect(resolveProfile({}, '/data', () => false)).toBe(DEFAULT_PROFILE);
  });
});
