import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../../electron/bridge-dispatch.js';

describe('isTrustedSender', () => {
  const controller = 'http://127.0.0.1:43210';

  it('accepts the UI served by the running core, in any route', () => {
    expect(isTrustedSender('http://127.0.0.1:43210/ui/', controller)).toBe(true);
    expect(isTrustedSender('http://127.0.0.1:43210/ui/#/tray', controller)).toBe(true);
  });

  it('refuses other origins, other paths, an old core and a missing core', () => {
    expect(isTrustedSender('http://127.0.0.1:43211/ui/', controller)).toBe(false);
    expect(isTrustedSender('http://localhost:43210/ui/', controller)).toBe(false);
    expect(isTrustedSender('https://evil.example/ui/', controller)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:43210/proxies', controller)).toBe(false);
    expect(isTrustedSender('data:text/html,hi', controller)).toBe(false);
    expect(isTrustedSender(undefined, controller)).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:43210/ui/', undefined)).toBe(false);
  });
});
