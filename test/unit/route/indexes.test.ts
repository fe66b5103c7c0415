import { describe, expect, it } from 'vitest';
import { CidrTrie, NO_RULE } from '../../../core/route/cidr-trie.js';
import { DomainTrie } from '../../../core/route/domain-trie.js';
import { parseCidr, parseIp, inCidr } from '../../../core/route/ip-address.js';
import { KeywordIndex } from '../../../core/route/keyword-index.js';

describe('keyword automaton', () => {
  it('finds the earliest rule among overlapping keywords (he, she, his, hers)', () => {
    const k = new KeywordIndex();
    ['hers', 'his', 'she', 'he'].forEach((w, i) => k.add(w, i));
    k.build();
    expect(k.lookup('ushers')).toBe(0); // hers at 2, she at 1, he at 2: "hers" is rule 0
    expect(k.lookup('ushe')).toBe(2);
    expect(k.lookup('this')).toBe(1);
    expect(k.lookup('ahe')).toBe(3);
    expect(k.lookup('xyz')).toBe(NO_RULE);
  });

  it('agrees with String.includes on random words', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const word = (len: number) => Array.from({ length: len }, () => 'abc'[rand(3)]).join('');
    const keywords = Array.from({ length: 60 }, () => word(1 + rand(4)));
    const k = new KeywordIndex();
    keywords.forEach((w, i) => k.add(w, i));
    for (let n = 0; n < 2000; n++) {
      const text = word(rand(12));
      const want = keywords.findIndex((w) => text.includes(w));
      expect(k.lookup(text), text).toBe(want < 0 ? NO_RULE : want);
    }
  });
});

describe('domain trie', () => {
  it('suffix rules match the name and below it, exact rules only the name; the earliest wins', () => {
    const t = new DomainTrie();
    t.add('example.com', 'suffix', 5);
    t.add('www.example.com', 'exact', 2);
    t.add('com', 'suffix', 9);
    t.add('a.b.example.com', 'suffix', 1);
    expect(t.lookup('www.example.com')).toBe(2);
    expect(t.lookup('x.www.example.com')).toBe(5);
    expect(t.lookup('z.a.b.example.com')).toBe(1);
    expect(t.lookup('other.com')).toBe(9);
    expect(t.lookup('example.org')).toBe(NO_RULE);
    expect(t.lookup('com')).toBe(9);
  });
});

describe('CIDR trie', () => {
  it('agrees with a range-by-range check on random IPv4 and IPv6 ranges', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const v4 = () => `10.${rand(4)}.${rand(8)}.${rand(256)}`;
    const v6 = () => `fd00:${rand(4).toString(16)}:${rand(8).toString(16)}::${rand(256).toString(16)}`;
    const ranges = Array.from({ length: 400 }, (_, i) => (i % 2 ? `${v4()}/${8 + rand(25)}` : `${v6()}/${16 + rand(113)}`)).map(parseCidr);
    const t = new CidrTrie();
    ranges.forEach((r, i) => t.insert(r.ip, r.bits, i));
    for (let n = 0; n < 3000; n++) {
      const ip = parseIp(n % 2 ? v4() : v6())!;
      const want = ranges.findIndex((r) => inCidr(ip, r.ip, r.bits));
      expect(t.lookup(ip)).toBe(want < 0 ? NO_RULE : want);
    }
  });

  it('reads IPv4-mapped IPv6 addresses and ranges as IPv4', () => {
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ v6: false, bytes: Uint8Array.from([10, 1, 2, 3]) });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ ip: { v6: false, bytes: Uint8Array.from([10, 0, 0, 0]) }, bits: 8 });
    expect(parseIp('fe80::1%eth0')?.v6).toBe(true);
    expect(parseIp('example.com')).toBeUndefined();
  });
});
