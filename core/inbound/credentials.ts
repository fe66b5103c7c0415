import { ConfigError } from '../adapter/errors.js';

/**
 * The users allowed to use the inbound (`authentication: ["user:pass"]`). Absent or empty means no
 * authentication is asked for. Credentials never appear in errors or logs.
 */
export class Credentials {
  private readonly passwords = new Map<string, string>();

  constructor(entries: readonly string[]) {
    entries.forEach((entry, i) => {
      const colon = entry.indexOf(':');
      // The value is a credential, so the message describes it without echoing it.
      if (colon <= 0) throw new ConfigError([{ path: `authentication[${i}]`, message: 'expected "user:pass" with a non-empty user' }]);
      this.passwords.set(entry.slice(0, colon), entry.slice(colon + 1));
    });
  }

  /** Undefined when no user is configured, so callers test one reference for "auth required". */
  static from(entries: readonly string[] | undefined): Credentials | undefined {
    return entries && entries.length > 0 ? new Credentials(entries) : undefined;
  }

  check(user: string, password: string): boolean {
    const expected = this.passwords.get(user);
    return expected !== undefined && expected === password;
  }

  /** `Proxy-Authorization: Basic base64(user:pass)`; the scheme name is case-insensitive (RFC 7617). */
  checkBasic(header: string | undefined): boolean {
    if (header === undefined || header.length < 7) return false;
    if (header.slice(0, 6).toLowerCase() !== 'basic ') return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && this.check(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}
