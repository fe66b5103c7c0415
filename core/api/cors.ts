import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Profile } from '../config/types.js';

export const CORS_ALLOW_HEADERS = 'authorization, content-type';
export const CORS_ALLOW_METHODS = 'GET, PUT, PATCH, DELETE, POST';

/**
 * Which browser origins may call the controller. Its own origins (the served UI) always may; others
 * (a hosted yacd, metacubexd or zashboard) only when listed; `*` allows any and is never the default.
 */
export class CorsPolicy {
  private readonly allowed: Set<string>;
  private readonly any: boolean;

  constructor(
    allowedOrigins: readonly string[],
    private readonly ownOrigins: () => readonly string[],
  ) {
    this.any = allowedOrigins.includes('*');
    this.allowed = new Set(allowedOrigins.filter((o) => o !== '*').map(normalizeOrigin));
  }

  /** The value for Access-Control-Allow-Origin, or undefined when this origin is not allowed. */
  allowOrigin(origin: string | undefined): string | undefined {
    if (!origin) return undefined;
    const normalized = normalizeOrigin(origin);
    if (this.any || this.allowed.has(normalized) || this.ownOrigins().includes(normalized)) return origin;
    return undefined;
  }

  /** Headers every answer to an allowed cross-origin request carries, so the page may read it. */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('vary', 'Origin');
    const origin = this.allowOrigin(req.headers.origin);
    if (origin) res.setHeader('access-control-allow-origin', origin);
  }

  /** The unauthenticated OPTIONS preflight: 204, with the allow headers only for an allowed origin. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = this.allowOrigin(req.headers.origin);
    const headers: Record<string, string> = { vary: 'Origin' };
    if (origin) {
      headers['access-control-allow-origin'] = origin;
      headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
      headers['access-control-allow-methods'] = CORS_ALLOW_METHODS;
      headers['access-control-max-age'] = '300';
      // Chrome's Private Network Access: a public dashboard page calling a loopback controller asks first.
      if (req.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true';
    }
    res.writeHead(204, headers).end();
  }
}

/** `HTTP://LocalHost:9090/` → `http://localhost:9090`: origins compare on scheme, host and port only. */
export function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/**
 * mihomo's `external-controller-cors: { allow-origins: [...] }`, which the profile keeps as an unknown
 * key; an absent or malformed entry allows no other origin.
 */
export function allowedOriginsFromProfile(profile: Pick<Profile, 'extra'>): string[] {
  const cors = profile.extra['external-controller-cors'];
  if (typeof cors !== 'object' || cors === null) return [];
  const origins = (cors as Record<string, unknown>)['allow-origins'];
  return Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : [];
}
