import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PoolMember } from '../../../core/balance/pool-member.js';
import { createDirect } from '../../../core/protocol/direct/index.js';

const health = { maxFailedTimes: 3, failWindowMs: 60_000, failTimeoutMs: 30_000 };
const member = () => new PoolMember(createDirect('jp1'), 0, 2, health);

describe('PoolMember passive health', () => {
  it('is ejected by max-failed-times failures within the window, for fail-timeout', () => {
    const m = member();
    expect(m.recordFailure(1_000)).toBe(false);
    expect(m.recordFailure(2_000)).toBe(false);
    expect(m.recordFailure(3_000)).toBe(true);
    expect(m.ejectedUntil).toBe(33_000);
    expect(m.isEjected(32_999)).toBe(true);
    expect(m.isEjected(33_000)).toBe(false);
    expect(m.failures(33_000)).toBe(0); // back with a clean slate
  });

  it('forgets failures older than the window', () => {
    const m = member();
    m.recordFailure(0);
    m.recordFailure(1_000);
    expect(m.failures(60_000)).toBe(1);
    expect(m.recordFailure(60_500)).toBe(false); // 1_000 and 60_500
    expect(m.recordFailure(61_000)).toBe(false); // 1_000 fell out: 60_500 and 61_000
    expect(m.recordFailure(61_500)).toBe(true);
  });

  it('a success resets the count', () => {
    const m = member();
    m.recordFailure(0);
    m.recordFailure(1);
    m.recordSuccess(2);
    expect(m.recordFailure(3)).toBe(false);
    expect(m.recordFailure(4)).toBe(false);
    expect(m.recordFailure(5)).toBe(true);
  });

  it('failures of dials already in flight while ejected neither extend nor repeat the ejection', () => {
    const m = member();
    for (const t of [1, 2, 3]) m.recordFailure(t);
    expect(m.recordFailure(4)).toBe(false);
    expect(m.ejectedUntil).toBe(30_003);
  });

  it('reports the recent failure rate to strategies', () => {
    const m = member();
    m.recordSuccess(0);
    m.recordFailure(1);
    m.recordSuccess(2);
    m.recordSuccess(3);
    expect(m.view(10).failureRate).toBe(0.25);
    expect(m.view(70_000).failureRate).toBe(0);
    expect(m.view(10)).toMatchObject({ name: 'jp1', index: 0, weight: 2, activeConnections: 0 });
  });

  it('counts a dial as active from the pick, a failed one no longer, and a stream until it closes, once', async () => {
    const m = member();
    m.beginDial();
    m.beginDial();
    expect(m.activeConnections).toBe(2);
    m.dialFailed();
    expect(m.activeConnections).toBe(1);
    const s = new PassThrough();
    m.trackStream(s);
    expect(m.activeConnections).toBe(1);
    s.destroy();
    await new Promise((r) => s.once('close', r));
    s.emit('close');
    expect(m.activeConnections).toBe(0);
  });

  it('takes probe results, keeping fields a report leaves out', () => {
    const m = member();
    m.applyProbe({ alive: true, latencyMs: 80 });
    m.applyProbe({ speedMbps: 40 });
    m.applyProbe({ alive: false });
    expect([m.probeAlive, m.latencyMs, m.speedMbps]).toEqual([false, 80, 40]);
  });
});
