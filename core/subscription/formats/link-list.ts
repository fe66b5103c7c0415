import { parseLink } from '../links/index.js';
import type { SubscriptionCollector } from './collector.js';

const LINK_LINE = /^[ \t]*[A-Za-z][A-Za-z0-9+.-]*:\/\//m;
/** Lines a list may hold besides links: comments, and the STATUS=/REMARKS= headers some providers add. */
const SKIPPED_LINE = /^(#|\/\/|;|(STATUS|REMARKS)=)/i;

export const hasLinkLine = (text: string): boolean => LINK_LINE.test(text);

/** One share link per line; a bad line becomes an issue with its 1-based line number. */
export function readLinkLines(text: string, into: SubscriptionCollector): void {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || SKIPPED_LINE.test(line)) continue;
    const r = parseLink(line);
    if ('ok' in r) into.addProxy(r.ok);
    else if ('unsupported' in r) into.addUnsupported(r.unsupported);
    else into.addIssue('BAD_LINK', `line ${i + 1}`, r.error.message, { line: i + 1 });
  }
}
