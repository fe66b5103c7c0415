import { describe, expect, it } from 'vitest';
import { Router } from '../../../core/api/router.js';
import { ApiError } from '../../../core/api/http.js';

function router() {
  const r = new Router<string>();
  r.add('GET', '/proxies', 'list');
  r.add('GET', '/proxies/:name', 'one');
  r.add('PUT', '/proxies/:name', 'select');
  r.add('GET', '/proxies/:name/delay', 'delay');
  r.add('GET', '/connections/:id', 'conn');
  r.add('DELETE', '/connections', 'close-all');
  r.add('GET', '/', 'root');
  return r;
}

describe('Router', () => {
  it('matches literal paths and the root, with or without a trailing slash', () => {
    const r = router();
    expect(r.match('GET', '/proxies')).toEqual({ kind: 'found', route: 'list', params: {} });
    expect(r.match('GET', '/proxies/')).toEqual({ kind: 'found', route: 'list', params: {} });
    expect(r.match('GET', '/')).toEqual({ kind: 'found', route: 'root', params: {} });
  });

  it('percent-decodes each segment as UTF-8, keeping an encoded slash inside the name', () => {
    const r = router();
    expect(r.match('GET', '/proxies/trojan%20%E9%A6%99%E6%B8%AF/delay')).toEqual({ kind: 'found', route: 'delay', params: { name: 'trojan 香港' } });
    expect(r.match('GET', '/proxies/a%2Fb')).toEqual({ kind: 'found', route: 'one', params: { name: 'a/b' } });
    // A member literally named "delay" is still a name, not the delay route.
    expect(r.match('GET', '/proxies/delay')).toEqual({ kind: 'found', route: 'one', params: { name: 'delay' } });
  });

  it('names the allowed methods when the path exists for others', () => {
    const r = router();
    expect(r.match('DELETE', '/proxies/x')).toEqual({ kind: 'method', allowed: expect.arrayContaining(['GET', 'PUT']) });
    expect(r.match('POST', '/connections')).toEqual({ kind: 'method', allowed: ['DELETE'] });
    expect(r.match('GET', '/nothing/here')).toEqual({ kind: 'none' });
  });

  it('refuses malformed percent-encoding with a 400 naming the path', () => {
    const r = router();
    let caught: unknown;
    try {
      r.match('GET', '/proxies/%E9%A6');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).status).toBe(400);
    expect((caught as ApiError).message).toMatch(/^path: "%E9%A6" is not valid percent-encoded UTF-8/);
  });

  it('refuses the same method and pattern twice', () => {
    const r = router();
    expect(() => r.add('GET', '/proxies/:other', 'again')).toThrow(/added twice/);
  });
});
