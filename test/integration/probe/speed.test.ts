import { describe, expect, it } from 'vitest';
import { measureSpeed, type SpeedProbe } from '../../../core/probe/speed.js';
import { Probes } from '../../../core/probe/probes.js';
import { useProbedMember } from '../../helpers/probe-member.js';

const MiB = 1024 * 1024;
const { target, socks, member } = useProbedMember();

const probe = (p: Partial<SpeedProbe> = {}): SpeedProbe => ({ url: target.url(`/bytes/${64 * MiB}`), maxBytes: 10 * MiB, maxMs: 1000, timeoutMs: 2000, ...p });

describe('speed probe through a real socks5 outbound', () => {
  it('measures a 2 MiB/s throttle within ±25%, stopping at maxMs', async () => {
    const rate = 2 * MiB;
    socks.set({ bytesPerSecond: rate });
    const result = await measureSpeed(member, probe({ maxMs: 1200 }));
    expect(result).toMatchObject({ name: 'jp1', ok: true });
    const expectedMbps = (rate * 8) / 1e6;
    expect(result.mbps!).toBeGreaterThanOrEqual(expectedMbps * 0.75);
    expect(result.mbps!).toBeLessThanOrEqual(expectedMbps * 1.25);
    expect(result.durationMs).toBeGreaterThanOrEqual(1150);
    expect(result.durationMs).toBeLessThan(1600);
    // the bytes spent are reported and match the rate over the window
    expect(result.bytes).toBeGreaterThan(rate * 0.8);
    expect(result.bytes).toBeLessThan(rate * 1.6);
  });

  it('stops at maxBytes first when the link is fast', async () => {
    const result = await measureSpeed(member, probe({ maxBytes: 512 * 1024, maxMs: 5000 }));
    expect(result.ok).toBe(true);
    expect(result.bytes).toBeGreaterThanOrEqual(512 * 1024);
    expect(result.bytes).toBeLessThan(512 * 1024 + 256 * 1024); // at most the chunks already in flight
    expect(result.durationMs).toBeLessThan(2000);
    expect(result.mbps!).toBeGreaterThan(10);
  });

  it('counts a body shorter than maxBytes as a complete test', async () => {
    const result = await measureSpeed(member, probe({ url: target.url('/bytes/300000') }));
    expect(result).toMatchObject({ ok: true, bytes: 300000 });
  });

  it('fails with the status or the dial error, and counts the bytes it spent', async () => {
    expect(await measureSpeed(member, probe({ url: target.url('/missing') }))).toMatchObject({ ok: false, bytes: 0, error: { code: 'UNEXPECTED_STATUS' } });
    socks.set({ drop: true });
    expect(await measureSpeed(member, probe())).toMatchObject({ ok: false, bytes: 0, error: { code: 'UPSTREAM_CLOSED' } });
  });

  it('runs one speed test at a time by default, two at once when asked', async () => {
    socks.set({ bytesPerSecond: 4 * MiB });
    const timed = async (probes: Probes) => {
      const spans: [number, number][] = [];
      await Promise.all(
        [0, 1].map(async () => {
          const r = await probes.testSpeed('jp1', { url: target.url(`/bytes/${64 * MiB}`), maxMs: 300 });
          expect(r.ok).toBe(true);
          spans.push([Date.now() - r.durationMs, Date.now()]);
        }),
      );
      spans.sort((a, b) => a[0] - b[0]);
      return spans;
    };
    const outbounds = new Map([['jp1', member]]);
    const serial = await timed(new Probes({ outbounds, pools: new Map() }));
    // the second download began after the first ended
    expect(serial[1]![0]).toBeGreaterThanOrEqual(serial[0]![1] - 20);
    const parallel = await timed(new Probes({ outbounds, pools: new Map(), speedConcurrency: 2 }));
    // both downloads ran in the same window
    expect(parallel[1]![0]).toBeLessThan(parallel[0]![1] - 200);
  });
});
