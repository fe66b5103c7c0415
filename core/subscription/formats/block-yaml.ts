import { FlowReader, NotInSubset, resolvePlain } from './flow-yaml.js';

/**
 * A fast reader for a `proxies:` block in block style, the other shape providers serve:
 *
 *   - name: 香港 01
 *     type: vmess
 *     ws-opts:
 *       path: /ray
 *       headers:
 *         Host: cdn.example.com
 *     alpn:
 *       - h2
 *
 * The `yaml` library takes over a second and 150 MiB for 5,000 such entries; this reads the plain subset
 * in a tenth of that: block mappings and lists by indentation, simple keys (`ws-opts`, `Host`), one-line
 * values (plain, quoted, or a flow map/list), full-line comments. Anything else — anchors, aliases, tags,
 * merge keys, multi-line or block scalars, trailing comments, quoted or complex keys, tabs — returns
 * undefined so the full parser reads the block. A test checks it against `yaml`.
 */
export function readBlockItems(block: string, firstLine: number): { value: unknown; line: number }[] | undefined {
  const reader = new BlockReader(block.split('\n'), firstLine);
  try {
    return reader.items();
  } catch (e) {
    if (e instanceof NotInSubset) return undefined;
    throw e;
  }
}

interface Line {
  text: string;
  indent: number;
}

/** `key:` then a space or the end of the line; Clash keys are words with `-`, `_`, `.` or `/`. */
const KEY = /^([A-Za-z0-9_][\w./-]*) *:(?: +|$)/;
/** A plain scalar may not start with these (a `-` followed by a letter or digit is fine: `-abc`, `-1`). */
const PLAIN_START = /^(?:[#&*!|>%@`,\]}?:'"]|-(?![0-9.a-zA-Z]))/;

class BlockReader {
  private i = 0;

  constructor(
    private readonly lines: string[],
    private readonly firstLine: number,
  ) {}

  items(): { value: unknown; line: number }[] {
    const first = this.peek();
    if (!first) return [];
    const out: { value: unknown; line: number }[] = [];
    for (let l = this.peek(); l && isDash(l); l = this.peek()) {
      if (l.indent !== first.indent) throw new NotInSubset();
      const line = this.firstLine + this.i;
      out.push({ value: this.seqEntry(l), line });
    }
    if (this.peek()) throw new NotInSubset(); // something the list did not take
    return out;
  }

  /** The next line with content (blank and comment-only lines are skipped), not consumed. */
  private peek(): Line | undefined {
    while (this.i < this.lines.length) {
      const text = this.lines[this.i]!.replace(/\r$/, '');
      const content = text.trimStart();
      if (content === '' || content.startsWith('#')) {
        this.i++;
        continue;
      }
      const indent = text.length - content.length;
      if (text.slice(0, indent).includes('\t')) throw new NotInSubset(); // YAML forbids tabs in indentation
      return { text, indent };
    }
    return undefined;
  }

  /** One `- ...` entry: a mapping starting on the dash line, or a one-line value. */
  private seqEntry(l: Line): unknown {
    const col = /^ *-( +)/.exec(l.text)?.[0].length;
    if (col === undefined) throw new NotInSubset(); // a bare `-` with its value below
    if (KEY.test(l.text.slice(col))) return this.mapping(col, l);
    const value = inlineValue(l.text, col);
    this.i++;
    return value;
  }

  /** A block mapping whose keys sit at column `col`; the first key may share its line with a dash. */
  private mapping(col: number, first?: Line): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let l = first ?? this.peek(); l; l = this.peek()) {
      if (l !== first) {
        if (l.indent < col) break;
        if (l.indent > col || isDash(l)) throw new NotInSubset();
      }
      const m = KEY.exec(l.text.slice(col));
      if (!m) throw new NotInSubset();
      const key = m[1]!;
      if (key === '__proto__') throw new NotInSubset();
      const valueCol = col + m[0].length;
      this.i++;
      out[key] = valueCol < l.text.trimEnd().length ? inlineValue(l.text, valueCol) : this.nested(col);
    }
    return out;
  }

  /** The value of a `key:` with nothing after it: a deeper mapping or list, a list at the key's own column, or null. */
  private nested(keyCol: number): unknown {
    const next = this.peek();
    if (next && next.indent > keyCol) return isDash(next) ? this.sequence(next.indent) : this.mapping(next.indent);
    if (next && next.indent === keyCol && isDash(next)) return this.sequence(keyCol);
    return null;
  }

  private sequence(col: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.peek(); l && l.indent === col && isDash(l); l = this.peek()) out.push(this.seqEntry(l));
    return out;
  }
}

const isDash = (l: Line) => l.text[l.indent] === '-' && (l.text[l.indent + 1] === ' ' || l.text.length === l.indent + 1);

/** The rest of a line from `col`: a flow node or a quoted scalar through FlowReader, else a block plain scalar. */
function inlineValue(text: string, col: number): unknown {
  const c = text[col];
  if (c === '{' || c === '[' || c === '"' || c === "'") {
    const reader = new FlowReader(text, col);
    const value = reader.node();
    reader.end();
    return value;
  }
  const plain = text.slice(col).trimEnd();
  // A comment, or a `: ` that YAML would refuse here; both are for the full parser to judge.
  if (PLAIN_START.test(plain) || /[ \t]#|: |:$/.test(plain)) throw new NotInSubset();
  return resolvePlain(plain);
}
