import type { BenchConfig } from './lib/config.js';
import type { NativeTools } from './lib/native.js';

/**
 * A benchmark scenario. run.ts runs them all, or those named on the command line
 * (`npm run bench -- core`). A new benchmark is a file in bench/scenarios/ plus one line in its index.
 */
export interface Scenario<State = unknown> {
  name: string;
  description: string;
  setup(ctx: BenchContext): Promise<State>;
  measure(state: State, ctx: BenchContext): Promise<ScenarioReport>;
  /** Always called after setup succeeded, also when measure threw. */
  teardown(state: State, ctx: BenchContext): Promise<void>;
}

export interface BenchContext {
  config: BenchConfig;
  /** A temp directory for configs and build output; removed after the run. */
  workDir: string;
  /** The C helpers, compiled on first use. */
  tools(): Promise<NativeTools>;
  log(message: string): void;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export type CheckStatus = 'PASS' | 'FAIL' | 'PENDING' | 'WARN';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface ScenarioReport {
  tables: Table[];
  checks: Check[];
  /** Raw figures, written to bench/results/latest.json */
  data: unknown;
}
