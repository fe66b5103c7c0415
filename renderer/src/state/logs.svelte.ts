import { openStream, type StreamHandle } from '../lib/api/stream.js';
import type { LogFrame } from '../lib/api/types.js';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type LogLevelChoice = (typeof LOG_LEVELS)[number];

/** Lines kept on the page; older ones scroll away. */
const MAX_LINES = 2000;

export interface LogLine {
  seq: number;
  at: number;
  type: string;
  payload: string;
}

class LogsStore {
  lines = $state.raw<LogLine[]>([]);
  level = $state<LogLevelChoice>('info');
  paused = $state(false);
  connected = $state(false);
  error = $state('');
}

export const logs = new LogsStore();

let seq = 0;
let handle: StreamHandle | undefined;

function onLine(frame: LogFrame): void {
  if (logs.paused) return;
  const next = [...logs.lines, { seq: seq++, at: Date.now(), type: frame.type, payload: frame.payload }];
  logs.lines = next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
}

function connect(): void {
  handle?.close();
  handle = openStream<LogFrame>('/logs', { level: logs.level }, onLine, (s) => {
    logs.connected = s.connected;
    logs.error = s.error;
  });
}

export function useLogs(): () => void {
  connect();
  return () => {
    handle?.close();
    handle = undefined;
  };
}

/** Reopens the stream at the new level (the controller filters). */
export function setLogLevel(level: LogLevelChoice): void {
  logs.level = level;
  if (handle) connect();
}

export function clearLogs(): void {
  logs.lines = [];
}
