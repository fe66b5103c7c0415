import { describe, expect, it } from 'vitest';
import { decideRestart } from '../../../electron/restart-policy.js';

describe('decideRestart', () => {
  it('doubles the wait with each crash in the window, up to the cap', () => {
    const crashes: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      crashes.push(i * 1000);
      const d = decideRestart(crashes, i * 1000, { maxCrashes: 10, maxDelayMs: 5000 });
      if (d.action === 'restart') delays.push(d.delayMs);
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000]);
  });

  it('gives up at the fifth crash within two minutes', () => {
    expect(decideRestart([0, 10, 20, 30], 30).action).toBe('restart');
    expect(decideRestart([0, 10, 20, 30, 40], 40)).toEqual({ action: 'give-up', crashesInWindow: 5 });
  });

  it('forgets crashes older than the window: a core that ran a while starts over at the base delay', () => {
    expect(decideRestart([0, 10, 20, 30, 200_000], 200_000)).toEqual({ action: 'restart', delayMs: 1000, crashesInWindow: 1 });
  });
});
