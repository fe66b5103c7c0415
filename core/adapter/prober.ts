/** One latency test of one outbound ("real delay" through it, or TCP ping to its server). */
export interface LatencyResult {
  name: string;
  ok: boolean;
  /** ms; present when ok. */
  latencyMs?: number;
  /** ProxyError code (TIMEOUT, CONNECTION_REFUSED, UNEXPECTED_STATUS...) and text when not ok. */
  error?: { code: string; message: string };
  mode: 'http' | 'unified' | 'tcp';
  at: number;
}

/** One bounded download through an outbound. */
export interface SpeedResult {
  name: string;
  ok: boolean;
  /** Mbit/s; present when ok. */
  mbps?: number;
  /** Bytes actually downloaded (the cost of the test, shown to the user). */
  bytes: number;
  durationMs: number;
  error?: { code: string; message: string };
  at: number;
}

export interface LatencyWindow {
  samples: number;
  meanMs?: number;
  /** Mean absolute difference between consecutive successful samples. */
  jitterMs?: number;
  /** Failed share of the window, 0..1. */
  loss: number;
}

/** What is known about one outbound's health, for the API, UI and strategies. */
export interface OutboundHealth {
  name: string;
  /** undefined until the first probe; false after a failed one until a probe succeeds. */
  alive?: boolean;
  latest?: LatencyResult;
  window: LatencyWindow;
  speed?: SpeedResult;
  /** health-score strategy's score 0..100 when computed. */
  score?: number;
  trend?: 'improving' | 'degrading' | 'steady';
}

export interface LatencyTestOptions {
  url?: string;
  timeoutMs?: number;
  /** Status codes counted as success (default: any 2xx/3xx, like Clash's 204 check). */
  expectedStatus?: number[];
  mode?: 'http' | 'unified' | 'tcp';
}

export interface SpeedTestOptions {
  url?: string;
  maxBytes?: number;
  maxMs?: number;
}

export interface HistorySample {
  at: number;
  kind: 'latency' | 'speed';
  value: number | null;
  error?: string | null;
}

/**
 * Probes as the controller API and the UI see them. Implemented by core/probe; the API only talks to this.
 */
export interface ProbeService {
  testLatency(outbound: string, options?: LatencyTestOptions): Promise<LatencyResult>;
  /** Tests every member of a pool now, concurrently within the scheduler's cap. */
  testPool(pool: string, options?: LatencyTestOptions): Promise<LatencyResult[]>;
  testSpeed(outbound: string, options?: SpeedTestOptions): Promise<SpeedResult>;
  health(outbound: string): OutboundHealth | undefined;
  history(outbound: string, options?: { since?: number; kind?: 'latency' | 'speed' }): HistorySample[];
}
