import { flushSync } from 'svelte';
import { openStream, type StreamHandle } from '../lib/api/stream.js';
import type { LivePoolStat, LiveStat, LiveStatsFrame } from '../lib/api/types.js';

/** Seconds of total traffic the overview chart shows. */
export const TOTAL_HISTORY_SECONDS = 120;
/** Points in each server's sparkline. */
export const SPARK_POINTS = 60;

/** One server's recent rates, oldest first; plain arrays, read when `live.frame` changes. */
export interface RateTrail {
  up: number[];
  down: number[];
}

/**
 * The `/switchyard/stats` stream: one frame a second with every server's and pool's live numbers.
 * The frame is kept raw (not deeply reactive): it is replaced whole each second, and 500 servers behind
 * a deep proxy would cost more than the page spends drawing them.
 */
class LiveStats {
  frame = $state.raw<LiveStatsFrame | null>(null);
  /** Frames received so far; a manual test result is shown until the frames after it carry it. */
  seq = $state(0);
  connected = $state(false);
  error = $state('');

  readonly servers = $derived(new Map<string, LiveStat>((this.frame?.servers ?? []).map((s) => [s.name, s])));
  readonly pools = $derived(new Map<string, LivePoolStat>((this.frame?.pools ?? []).map((p) => [p.name, p])));
  /** Changes only when servers come or go, so lists built from it are not rebuilt every second. */
  readonly serverNames = $derived((this.frame?.servers ?? []).map((s) => s.name).join('\n'));
  /** Bytes through every server since the core started: the denominator of each server's share. */
  readonly serverBytes = $derived((this.frame?.servers ?? []).reduce((sum, s) => sum + s.up + s.down, 0));
  /** Fastest current server rate (up + down), the scale of the overview's rate bars. */
  readonly maxServerRate = $derived((this.frame?.servers ?? []).reduce((max, s) => Math.max(max, s.upRate + s.downRate), 0));

  /** Total up/down per second, oldest first, in uPlot's column layout (seconds, up, down). */
  readonly totals: [number[], number[], number[]] = [[], [], []];
  readonly trails = new Map<string, RateTrail>();
}

export const live = new LiveStats();

let handle: StreamHandle | undefined;
let users = 0;

/** Starts the stream for a page that shows live numbers; the returned function stops it when the last page leaves. */
export function useLiveStats(): () => void {
  if (users++ === 0) {
    handle = openStream<LiveStatsFrame>('/switchyard/stats', {}, onFrame, (s) => {
      live.connected = s.connected;
      live.error = s.error;
    });
  }
  return () => {
    if (--users === 0) {
      handle?.close();
      handle = undefined;
    }
  };
}

/**
 * Applies a frame and renders it at once, timed as the user-timing measure `switchyard:frame` (script
 * time of one update, which the UI benchmark reads; layout and paint come after and are not in it).
 */
function onFrame(frame: LiveStatsFrame): void {
  const start = performance.now();
  applyFrame(frame);
  flushSync();
  performance.measure('switchyard:frame', { start, end: performance.now() });
  // A measure per second would pile up for as long as the page is open.
  if (performance.getEntriesByName('switchyard:frame').length > 600) performance.clearMeasures('switchyard:frame');
}

/** Records one frame's history and publishes it. */
export function applyFrame(frame: LiveStatsFrame): void {
  if (!frame || !Array.isArray((frame as LiveStatsFrame).servers)) {
    live.error = `/switchyard/stats: ${(frame as { message?: string })?.message ?? 'an unexpected frame'}`;
    return;
  }
  const [t, up, down] = live.totals;
  t.push(frame.at / 1000);
  up.push(frame.total.upRate);
  down.push(frame.total.downRate);
  if (t.length > TOTAL_HISTORY_SECONDS) for (const col of live.totals) col.shift();
  const seen = new Set<string>();
  for (const s of [...frame.servers, ...frame.pools]) {
    seen.add(s.name);
    let trail = live.trails.get(s.name);
    if (!trail) live.trails.set(s.name, (trail = { up: [], down: [] }));
    trail.up.push(s.upRate);
    trail.down.push(s.downRate);
    if (trail.up.length > SPARK_POINTS) {
      trail.up.shift();
      trail.down.shift();
    }
  }
  for (const name of live.trails.keys()) if (!seen.has(name)) live.trails.delete(name);
  live.frame = frame;
  live.seq++;
}
