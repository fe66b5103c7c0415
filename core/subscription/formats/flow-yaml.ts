/**
 * A fast reader for the shape nearly every provider serves: a `proxies:` block with one flow mapping
 * per line (`  - {name: 香港 01, type: ss, server: a.example.com, port: 443, ...}`). The `yaml` library
 * spends most of a second on 5,000 such lines; this covers only that plain subset (flow maps and lists,
 * plain and quoted scalars with the YAML 1.2 core schema) and returns undefined for anything else —
 * anchors, tags, comments, block style — so the full parser takes over. A test checks it against `yaml`.
 */

/** Thrown inside the fast readers (here and block-yaml.ts) when the text leaves their subset. */
export class NotInSubset extends Error {}

/** Each item's value and 1-based line, or undefined when the block is outside the subset. */
export function readFlowItems(block: string, firstLine: number): { value: unknown; line: number }[] | undefined {
  const items: { value: unknown; line: number }[] = [];
  const lines = block.split('\n');
  try {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!.replace(/\r$/, '');
      if (text.trim() === '') continue;
      const m = /^ *- +(?=\{)/.exec(text); // YAML forbids tabs in indentation
      if (!m) return undefined;
      const reader = new FlowReader(text, m[0].length);
      const value = reader.node();
      reader.end();
      items.push({ value, line: firstLine + i });
    }
  } catch (e) {
    if (e instanceof NotInSubset) return undefined;
    throw e;
  }
  return items;
}

const FLOW_STOP = new Set([',', '[', ']', '{', '}']);

/** Reads one flow node (map, list, quoted or plain scalar) from `pos` on a single line. */
export class FlowReader {
  constructor(
    private readonly s: string,
    private pos: number,
  ) {}

  node(): unknown {
    this.skipSpaces();
    const c = this.s[this.pos];
    if (c === '{') return this.map();
    if (c === '[') return this.seq();
    if (c === '"') return this.doubleQuoted();
    if (c === "'") return this.singleQuoted();
    return resolvePlain(this.plain());
  }

  end(): void {
    this.skipSpaces();
    if (this.pos !== this.s.length) throw new NotInSubset();
  }

  private map(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++; // {
    for (;;) {
      this.skipSpaces();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const quoted = this.s[this.pos] === '"' || this.s[this.pos] === "'";
      const key = quoted ? (this.s[this.pos] === '"' ? this.doubleQuoted() : this.singleQuoted()) : this.plain();
      if (key === '' || key === '<<' || key === '__proto__') throw new NotInSubset();
      this.skipSpaces();
      if (this.s[this.pos] !== ':') throw new NotInSubset();
      this.pos++;
      // After a plain key `:` must be followed by a space; `{a:b}` means something else in YAML.
      if (!quoted && this.s[this.pos] !== ' ') throw new NotInSubset();
      this.skipSpaces();
      const c = this.s[this.pos];
      out[key] = c === ',' || c === '}' ? null : this.node();
      this.skipSpaces();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new NotInSubset();
    }
  }

  private seq(): unknown[] {
    const out: unknown[] = [];
    this.pos++; // [
    for (;;) {
      this.skipSpaces();
      if (this.s[this.pos] === ']') {
        this.pos++;
        return out;
      }
      out.push(this.node());
      this.skipSpaces();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') throw new NotInSubset();
    }
  }

  /** A plain scalar on one line, up to a flow indicator, `: ` or the end; comments and odd starts are not in the subset. */
  private plain(): string {
    const start = this.pos;
    const first = this.s[start];
    if (first === undefined || '#&*!|>%@`?:-'.includes(first) && !(first === '-' && /[0-9.a-zA-Z]/.test(this.s[start + 1] ?? ''))) {
      throw new NotInSubset();
    }
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (FLOW_STOP.has(c)) break;
      if (c === ':' && (this.s[this.pos + 1] === ' ' || FLOW_STOP.has(this.s[this.pos + 1] ?? ','))) break;
      if (c === '#' && (this.s[this.pos - 1] === ' ' || this.s[this.pos - 1] === '\t')) throw new NotInSubset();
      this.pos++;
    }
    if (this.s[this.pos] === '[' || this.s[this.pos] === '{') throw new NotInSubset();
    return this.s.slice(start, this.pos).trimEnd();
  }

  private singleQuoted(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const end = this.s.indexOf("'", this.pos);
      if (end < 0) throw new NotInSubset();
      out += this.s.slice(this.pos, end);
      this.pos = end + 1;
      if (this.s[this.pos] !== "'") return out;
      out += "'";
      this.pos++;
    }
  }

  private doubleQuoted(): string {
    let out = '';
    this.pos++;
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined) throw new NotInSubset();
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      const simple = e === undefined ? undefined : SIMPLE_ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotInSubset();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += len;
      } else throw new NotInSubset();
    }
  }

  private skipSpaces(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};

/** The YAML 1.2 core schema, as the `yaml` library resolves plain scalars by default. */
export function resolvePlain(s: string): unknown {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}
