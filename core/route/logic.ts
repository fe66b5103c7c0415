import { splitFields } from '../config/rules.js';

/** AND/OR/NOT payloads, `((DOMAIN,a.com),(NOT,((NETWORK,UDP))))`, split like rule lines. */
export const splitTopLevel = splitFields;

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
