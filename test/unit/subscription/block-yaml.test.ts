import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readBlockItems } from '../../../core/subscription/formats/block-yaml.js';
import { parseSubscription } from '../../../core/subscription/index.js';

/** What the `yaml` library makes of the same block: the fast reader must agree with it exactly. */
const viaLibrary = (block: string) => (parse(`proxies:\n${block}`, { merge: true, uniqueKeys: false }) as { proxies: unknown[] | null }).proxies ?? [];

const inSubset: Record<string, string> = {
  'a typical vmess entry': [
    '  - name: 香港 01 | 1.5x 🔥',
    '    type: vmess',
    '    server: hk.example.com',
    '    port: 443',
    '    uuid: a3482e88-686a-4a58-8126-99c9df64b7bf',
    '    alterId: 0',
    '    cipher: auto',
    '    tls: true',
    '    skip-cert-verify: false',
    '    network: ws',
    '    ws-opts:',
    '      path: /ray?ed=2048',
    '      headers:',
    '        Host: cdn.example.com',
    '    alpn:',
    '      - h2',
    '      - http/1.1',
  ].join('\n'),
  'items at column 0 and a list at its key column': ['- name: a', '  type: ss', '  alpn:', '  - h2', '  - "http/1.1"', '  udp: true', '- name: b', '  type: ss'].join('\n'),
  'quoted values, flow values, numbers, nulls and odd plain scalars': [
    '  - name: "quoted \\"x\\" \\u00e9"',
    "    password: 'it''s: here'",
    '    port: 0x1BB',
    '    float: 1.5e3',
    '    neg: -12',
    '    dash: -abc',
    '    empty:',
    '    tilde: ~',
    '    flowmap: { path: /, headers: { Host: a } }',
    '    flowlist: [h2, "http/1.1"]',
    '    brackets: HK [01] {x}, y',
    '    colon: a:b',
    '    ipv6: 2001:db8::1',
    '    url: http://x.example.com:80/a#frag',
    '    trailing:   ',
    '    spaced:   value with spaces   ',
    '    yes: yes',
  ].join('\n'),
  'comments and blank lines between entries, CRLF': ['# header comment', '  - name: a', '', '    # inside', '    type: ss\r', '  - name: b\r', '    type: ss'].join('\n'),
  'a list of mappings and a duplicate key': ['  - name: a', '    smux:', '      - x: 1', '        y: 2', '      - x: 3', '    name: b'].join('\n'),
  'scalar items and flow items mixed in': ['  - {name: flow, type: ss}', '  - name: block', '    type: ss', '  - plain scalar'].join('\n'),
  'an empty block': '',
};

const notInSubset: Record<string, string> = {
  'an anchor': '  - name: &a x',
  'an alias': '  - name: *a',
  'a merge key': '  - name: a\n    <<: *common',
  'a tag': '  - name: !!str 1',
  'a trailing comment': '  - name: a # comment',
  'a block scalar': '  - name: |\n      multi',
  'a multi-line plain scalar': '  - name: a\n      continued',
  'a quoted key': '  - "name": a',
  'a bare dash': '  -\n    name: a',
  'a tab in the indentation': '  - name: a\n\ttype: ss',
  'a wrongly indented key': '  - name: a\n     type: ss',
  'mixed item indentation': '  - name: a\n    - name: b',
  'a value with ": " in it': '  - name: a: b',
  'a multi-line quoted scalar': '  - name: "a\n      b"',
  'a complex key': '  - ? a\n    : b',
  'a document marker': '  - name: a\n---',
  'a __proto__ key': '  - __proto__: x',
  'a key with a space': '  - my name: x',
};

describe('readBlockItems: block-style proxies', () => {
  it.each(Object.entries(inSubset))('reads %s exactly as the yaml library does', (_, block) => {
    const fast = readBlockItems(block, 2);
    expect(fast).toBeDefined();
    expect(fast!.map((i) => i.value)).toStrictEqual(viaLibrary(block));
  });

  it.each(Object.entries(notInSubset))('leaves %s to the yaml library', (_, block) => {
    expect(readBlockItems(block, 2)).toBeUndefined();
  });

  it('numbers each entry by the line of its dash, from the first line of the block', () => {
    expect(readBlockItems('  - name: a\n    type: ss\n\n  - name: b', 5)!.map((i) => i.line)).toEqual([5, 8]);
  });

  it('gives parseSubscription the same proxies as the yaml library for the Clash fixture rewritten without anchors', () => {
    const fixture = fs.readFileSync(path.resolve(__dirname, '../../fixtures/subscriptions/clash.yaml'), 'utf8');
    const plain = fixture.replace(/^x-common: &common\n(?: {2}.*\n)+/m, '').replace(/\n {4}<<: \*common/g, '\n    udp: true\n    skip-cert-verify: false');
    expect(plain).not.toContain('<<');
    const section = plain.slice(plain.indexOf('proxies:\n') + 'proxies:\n'.length).split(/\n(?=[^\s#-])/)[0]!;
    expect(readBlockItems(section, 1)!.map((i) => i.value)).toStrictEqual(viaLibrary(section));
    expect(parseSubscription(plain)).toStrictEqual(parseSubscription(fixture));
  });
});
