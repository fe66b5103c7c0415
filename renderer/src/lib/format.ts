/** 1536 → "1.5 KB": binary units, as download tools show them. */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export const rate = (n: number): string => `${bytes(n)}/s`;

/** Seconds since `from` as "42s", "3m 05s", "2h 10m". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(part / whole < 0.1 ? 1 : 0)}%` : '—');

export function dateTime(ms: number | undefined | null): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Latency colour band: the thresholds most dashboards use. */
export function latencyBand(ms: number | null | undefined): 'good' | 'fair' | 'poor' | 'none' {
  if (ms === null || ms === undefined) return 'none';
  if (ms < 200) return 'good';
  if (ms < 500) return 'fair';
  return 'poor';
}
