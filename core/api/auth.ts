import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh controller secret: 24 random bytes, base64url (32 characters, safe in a URL). */
export function generateSecret(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** Constant-time comparison; hashing first makes unequal lengths take the same time too. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(secret).digest();
  return crypto.timingSafeEqual(a, b);
}

/** `Authorization: Bearer <secret>`; undefined when absent or another scheme. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Bearer') return undefined;
  return header.slice(space + 1);
}

/**
 * Whether the request carries the secret. Browsers cannot set headers on a WebSocket, so an upgrade may
 * carry it as `?token=` instead (as mihomo accepts); an empty token falls back to the header.
 */
export function isAuthorized(req: IncomingMessage, query: URLSearchParams, secret: string, upgrade: boolean): boolean {
  const token = upgrade ? query.get('token') : null;
  if (token) return secretMatches(token, secret);
  return secretMatches(bearerToken(req), secret);
}
