import { describe, expect, it } from 'vitest';
import { Credentials } from '../../../core/inbound/credentials.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('Credentials', () => {
  const c = new Credentials(['alice:pa:ss', 'bob:']);

  it('checks user and password, splitting at the first colon', () => {
    expect(c.check('alice', 'pa:ss')).toBe(true);
    expect(c.check('alice', 'pa')).toBe(false);
    expect(c.check('bob', '')).toBe(true);
    expect(c.check('carol', '')).toBe(false);
  });

  it('checks a Basic Proxy-Authorization header', () => {
    expect(c.checkBasic(basic('alice:pa:ss'))).toBe(true);
    expect(c.checkBasic(`bAsIc ${Buffer.from('alice:pa:ss').toString('base64')}`)).toBe(true);
    expect(c.checkBasic(basic('alice:wrong'))).toBe(false);
    expect(c.checkBasic(`Bearer ${Buffer.from('alice:pa:ss').toString('base64')}`)).toBe(false);
    expect(c.checkBasic(basic('nocolon'))).toBe(false);
    expect(c.checkBasic(undefined)).toBe(false);
    expect(c.checkBasic('Basic')).toBe(false);
  });

  it('means "no auth" when absent or empty', () => {
    expect(Credentials.from(undefined)).toBeUndefined();
    expect(Credentials.from([])).toBeUndefined();
    expect(Credentials.from(['a:b'])).toBeInstanceOf(Credentials);
  });
});
