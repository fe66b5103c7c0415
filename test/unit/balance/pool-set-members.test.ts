import { describe, expect, it } from 'vitest';
import { Pool } from '../../../core/balance/pool.js';
import { createDirect } from '../../../core/protocol/direct/index.js';

const out = (name: string) => createDirect(name);

describe('Pool.setMembers (a proxy provider refreshed)', () => {
  it('keeps the state of members whose name stays, drops the others, adds new ones fresh', () => {
    const pool = new Pool({ name: 'p', type: 'load-balance', strategy: 'weighted-round-robin', members: [out('a'), out('b')], weights: { a: 3 } });
    pool.setProbeState('a', { latencyMs: 42, alive: false });
    pool.setProbeState('b', { latencyMs: 7 });
    const newA = out('a');
    pool.setMembers([out('c'), newA], { c: 2 });
    const snap = pool.snapshot();
    expect(snap.members.map((m) => m.name)).toEqual(['c', 'a']);
    expect(snap.members[1]).toMatchObject({ name: 'a', latencyMs: 42, alive: false, weight: 3 });
    expect(snap.members[0]).toMatchObject({ name: 'c', latencyMs: null, alive: true, weight: 2 });
    expect(pool.memberNames()).toEqual({ members: ['c', 'a'], backup: [] });
  });

  it('a select pool keeps its choice while it stays, and falls back to the first member when it leaves', () => {
    const pool = new Pool({ name: 's', type: 'select', members: [out('a'), out('b')] });
    pool.select('b');
    pool.setMembers([out('b'), out('c')]);
    expect(pool.snapshot().now).toBe('b');
    pool.setMembers([out('c'), out('d')]);
    expect(pool.snapshot().now).toBe('c');
    pool.setMembers([]);
    expect(pool.snapshot().now).toBeNull();
    expect(pool.hasAliveMember()).toBe(false);
  });

  it('refuses a bad weight by name, like the constructor', () => {
    const pool = new Pool({ name: 'p', type: 'load-balance', members: [] });
    expect(() => pool.setMembers([out('x')], { x: 0 })).toThrow(/x\.weight/);
  });
});
