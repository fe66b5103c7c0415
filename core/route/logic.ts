/**
 * AND/OR/NOT payloads: `((DOMAIN,a.com),(NOT,((NETWORK,UDP))))`. Splits on commas outside parentheses;
 * undefined when the parentheses do not balance.
 */
export function splitTopLevel(text: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return undefined;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  parts.push(text.slice(start).trim());
  return parts;
}

/** A sub-rule as written inside a logic payload: type, payload and options, no target. */
export interface SubRuleText {
  type: string;
  payload: string;
  options: string[];
}

const unwrap = (text: string): string | undefined => (text.startsWith('(') && text.endsWith(')') ? text.slice(1, -1).trim() : undefined);

/** The sub-rules of a logic payload, or a message saying what was expected. */
export function parseLogicPayload(payload: string): SubRuleText[] | string {
  const inner = unwrap(payload.trim());
  const items = inner === undefined ? undefined : splitTopLevel(inner);
  if (!items || (items.length === 1 && items[0] === '')) return `expected sub-rules in parentheses like ((DOMAIN,a.com),(NETWORK,UDP)), got ${JSON.stringify(payload)}`;
  const out: SubRuleText[] = [];
  for (const item of items) {
    const body = unwrap(item);
    const fields = body === undefined ? undefined : splitTopLevel(body);
    if (!fields || !fields[0]) return `expected a sub-rule in parentheses like (DOMAIN,a.com), got ${JSON.stringify(item)}`;
    const type = fields[0].toUpperCase();
    if (type === 'MATCH') out.push({ type, payload: '', options: fields.slice(1) });
    else out.push({ type, payload: fields[1] ?? '', options: fields.slice(2) });
  }
  return out;
}
