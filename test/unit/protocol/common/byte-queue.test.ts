import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../core/protocol/common/byte-queue.js';

describe('ByteQueue', () => {
  it('takes exact byte counts across buffers as views, in order', () => {
    const q = new ByteQueue();
    const a = Buffer.from('abcde');
    const b = Buffer.from('fgh');
    q.push(a);
    q.push(Buffer.alloc(0));
    q.push(b);
    expect(q.length).toBe(8);
    const first = q.take(3);
    expect(first.map(String)).toEqual(['abc']);
    expect(first[0]!.buffer).toBe(a.buffer); // a view, not a copy
    expect(q.take(4).map(String)).toEqual(['de', 'fg']);
    expect(q.length).toBe(1);
    expect(q.takeContiguous(1).toString()).toBe('h');
    expect(q.length).toBe(0);
  });

  it('joins only when a contiguous read spans buffers', () => {
    const q = new ByteQueue();
    const a = Buffer.from('0123');
    q.push(a);
    q.push(Buffer.from('4567'));
    const inside = q.takeContiguous(2);
    expect(inside.buffer).toBe(a.buffer);
    expect(q.takeContiguous(4).toString()).toBe('2345');
    expect(q.takeContiguous(2).toString()).toBe('67');
  });

  it('stays correct over many small pushes and takes', () => {
    const q = new ByteQueue();
    let expected = '';
    let got = '';
    for (let i = 0; i < 1000; i++) {
      const s = String(i);
      q.push(Buffer.from(s));
      expected += s;
      if (i % 3 === 0 && q.length >= 5) got += q.take(5).map(String).join('');
    }
    got += q.take(q.length).map(String).join('');
    expect(got).toBe(expected);
  });
});
