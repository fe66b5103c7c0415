import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readFlowItems } from '../../../core/subscription/formats/flow-yaml.js';
import { parseSubscription } from '../../../core/subscription/index.js';

/** What the `yaml` library makes of the same block: the fast reader must agree with it exactly. */
const viaLibrary = (block: string) => (parse(`proxies:\n${block}`, { merge: true, uniqueKeys: false }) as { proxies: unknown[] }).proxies;

const inSubset = [
  '  - {name: 香港 01, type: ss, server: hk.example.com, port: 443, cipher: aes-256-gcm, password: "p@ss: w,rd", udp: true}',
  "  - {name: 'it''s', type: vmess, port: 0x1BB, alterId: 0o10, tls: TRUE, a: ~, b: , c: null, d: 1.5e3, e: -12, f: -abc, g: .inf, h: +7, i: 007}",
  '  - {"name":"json","type":"ss","port":443,"nested":{"a":[1,"two",{"b":null}]}}',
  '  - {name: emoji 🇭🇰 x, path: /ws?ed=2048, ip: 2001:db8::1, url: http://x.example.com:80/a, empty: {}, list: [], k:v: w}',
  '  - {name: "esc \\"q\\" \\\\ \\u00e9 \\x41 \\t \\U0001F600 \\/", type: ss}',
  '  - {name: inner  spaces and trailing   , type: ss  ,  port: 1 }',
  '  - { name: spaced, ws-opts: { path: "/", headers: { Host: a.example.com } }, alpn: [h2, http/1.1] }',
  '  - {name: a, name: b}',
  '  - {name: a#b, c: d:e}',
  '  - {name: a, type: ss,}',
  '  -  {name: two spaces after dash}',
  '  - {name: 1.0, other: .5, nan: .NaN, neg: -.inf, yes: yes, no: No, on: on}',
];

const notInSubset = [
  '  - {name: a, <<: *b}',
  '  - {name: a} # a comment',
  '  - name: block style',
  '  - {name: &x a}',
  '  - {name: !!str 1}',
  '  - {a:b}',
  '  - {name: [a}',
  '  - {name: "unterminated}',
  '  - {name: a',
  '  - {? complex: key}',
  '  - {name: ::1}',
  '  - [a, b]',
  '  - {name: a}\n    continued: line',
  '\t- {name: tab-indented}',
  '  - {c: d: e}',
];

describe('readFlowItems: one flow mapping per line', () => {
  it.each(inSubset)('reads %s exactly as the yaml library does', (line) => {
    const fast = readFlowItems(line, 2);
    expect(fast).toBeDefined();
    expect(fast!.map((i) => i.value)).toStrictEqual(viaLibrary(line));
  });

  it.each(notInSubset)('leaves %s to the yaml library', (line) => {
    expect(readFlowItems(line, 2)).toBeUndefined();
  });

  it('numbers lines from the first line of the block and skips blank lines', () => {
    const items = readFlowItems('  - {name: a}\n\n  - {name: b}\r\n', 5);
    expect(items).toEqual([
      { value: { name: 'a' }, line: 5 },
      { value: { name: 'b' }, line: 7 },
    ]);
  });

  it('a flow body and the same proxies in block style read the same through parseSubscription', () => {
    const flow = ['proxies:', ...inSubset.slice(0, 7).map((l) => l.replace(/^\s*-\s*\{/, '  - {type: socks5, server: 192.0.2.1, port: 1080, '))].join('\n');
    const viaFlow = parseSubscription(flow);
    const block = stringify({ proxies: viaFlow.proxies }); // block style, which only the yaml library reads
    expect(block).toContain('\n    server: ');
    expect(parseSubscription(block).proxies).toStrictEqual(viaFlow.proxies);
  });
});
