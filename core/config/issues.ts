import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** `['proxies', 2, 'port']` → `proxies[2].port`; odd keys are quoted: `proxy-providers["my sub"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Keys whose values are credentials: a message about them never repeats the value.
 * Subscription URLs carry tokens, so provider URLs count too.
 */
const SECRET_KEYS = new Set([
  'password', 'secret', 'uuid', 'psk', 'token', 'auth', 'auth-str', 'authentication', 'private-key',
  'pre-shared-key', 'obfs-password', 'username', 'user',
]);

export function isSecretPath(path: Path): boolean {
  if (path[0] === 'authentication') return true;
  if (path[0] === 'proxy-providers' && path.some((s) => s === 'url' || s === 'header')) return true;
  return path.some((s) => typeof s === 'string' && SECRET_KEYS.has(s));
}

/** Drops the `, got <value>` tail the field helpers add; a tail naming only a kind ("a list", "nothing") stays. */
function hideValue(message: string): string {
  const cut = message.lastIndexOf(', got ');
  if (cut < 0 || /^(nothing|null|an? |no )/.test(message.slice(cut + 6))) return message;
  return `${message.slice(0, cut)} (value hidden)`;
}

/** Finds the line of a path in the YAML source, falling back to the nearest enclosing node. */
export class SourcePositions {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  lineOf(path: Path): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.lines.linePos(range[0]).line;
    }
    return undefined;
  }
}

/** Collects every problem in a profile so the user sees them all at once, plus non-fatal warnings. */
export class IssueCollector {
  readonly errors: { path: string; message: string }[] = [];
  private readonly warningSet = new Set<string>();

  constructor(private readonly positions?: SourcePositions) {}

  error(path: Path, message: string): void {
    const text = isSecretPath(path) ? hideValue(message) : message;
    const line = this.positions?.lineOf(path);
    this.errors.push({ path: formatPath(path), message: line === undefined ? text : `${text} (line ${line})` });
  }

  /** Reports every issue of a failed zod parse under `prefix`. */
  zod(prefix: Path, error: z.ZodError): void {
    for (const issue of error.issues) this.error([...prefix, ...(issue.path as PathSegment[])], issue.message);
  }

  warn(message: string): void {
    this.warningSet.add(message);
  }

  unknownKey(path: Path, key: string): void {
    this.warn(`ignored unknown key ${JSON.stringify(key)} at ${path.length ? formatPath(path) : 'top level'}`);
  }

  get warnings(): string[] {
    return [...this.warningSet];
  }
}
