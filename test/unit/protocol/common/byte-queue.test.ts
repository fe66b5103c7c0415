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

  it('reads a 16-bit length and skips bytes inside one buffer and across buffers', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([0x12, 0x34, 0xab]));
    q.push(Buffer.from([0xcd, 1, 2, 3, 4, 5]));
    expect(q.takeUInt16BE()).toBe(0x1234);
    expect(q.takeUInt16BE()).toBe(0xabcd); // spans the two buffers
    q.skip(2);
    expect(q.length).toBe(3);
    expect(q.take(3).map((b) => [...b])).toEqual([[3, 4, 5]]);
    q.push(Buffer.from('abc'));
    q.push(Buffer.from('def'));
    q.skip(4); // all of the first buffer and part of the second
    expect(q.takeContiguous(2).toString()).toBe('ef');
    expect(q.length).toBe(0);
  });

  it('a contiguous read inside the head buffer after a partial take is a view at the right offset', () => {
    const q = new ByteQueue();
    const a = Buffer.from('0123456789');
    q.push(a);
    q.take(3);
    const view = q.takeContiguous(4);
    expect(view.toString()).toBe('3456');
    expect(view.buffer).toBe(a.buffer);
    expect(q.drain().map(String)).toEqual(['789']);
  });

  it('detach keeps the unread bytes when the buffers they came in are overwritten', () => {
    const q = new ByteQueue();
    const a = Buffer.from('abcdef');
    const b = Buffer.from('ghij');
    q.push(a);
    q.push(b);
    q.skip(4);
    q.detach();
    a.fill(0);
    b.fill(0);
    expect(q.length).toBe(6);
    expect(q.takeContiguous(6).toString()).toBe('efghij');
    q.detach();
    expect(q.length).toBe(0);
  });
});
