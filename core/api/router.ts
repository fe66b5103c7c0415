import { ApiError } from './http.js';

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export type RouteMatch<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  /** The path exists but not for this method: the methods it does answer. */
  | { kind: 'method'; allowed: Method[] }
  | { kind: 'none' };

interface Entry<R> {
  method: Method;
  segments: string[];
  route: R;
}

/**
 * Method + path pattern (`/proxies/:name/delay`) → route. Each path segment is percent-decoded on its
 * own, so a name may contain an encoded `/` and UTF-8 (`trojan%20%E9%A6%99%E6%B8%AF`); a malformed
 * escape is a 400. Literal segments win over parameters, whatever the order routes were added in.
 */
export class Router<R> {
  private readonly entries: Entry<R>[] = [];

  add(method: Method, pattern: string, route: R): void {
    const segments = split(pattern);
    if (this.entries.some((e) => e.method === method && shape(e.segments) === shape(segments))) {
      throw new Error(`route ${method} ${pattern} added twice`);
    }
    this.entries.push({ method, segments, route });
    // Fewer parameters first, so `/connections` beats `/connections/:id` only where both could match.
    this.entries.sort((a, b) => paramCount(a.segments) - paramCount(b.segments));
  }

  match(method: string, pathname: string): RouteMatch<R> {
    const parts = split(pathname).map(decodeSegment);
    const allowed = new Set<Method>();
    for (const entry of this.entries) {
      const params = matchSegments(entry.segments, parts);
      if (!params) continue;
      if (entry.method === method) return { kind: 'found', route: entry.route, params };
      allowed.add(entry.method);
    }
    return allowed.size ? { kind: 'method', allowed: [...allowed] } : { kind: 'none' };
  }
}

/** `/a/b/` and `/a/b` are the same path; the root is no segments. */
function split(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length && parts.at(-1) === '') parts.pop();
  return parts;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, `path: ${JSON.stringify(raw)} is not valid percent-encoded UTF-8`);
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = parts[i]!;
    else if (p !== parts[i]) return undefined;
  }
  return params;
}

/** `/proxies/:name` and `/proxies/:id` would match the same paths. */
const shape = (segments: string[]) => segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/');

const paramCount = (segments: string[]) => segments.filter((s) => s.startsWith(':')).length;
