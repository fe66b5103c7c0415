import { pino } from 'pino';

/** Clash's log levels, lowest first, as `/logs?level=` names them. */
export const CLASH_LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'silent'] as const;
export type ClashLogLevel = (typeof CLASH_LOG_LEVELS)[number];

/** One `/logs` frame, mihomo's shape. */
export interface LogFrame {
  type: Exclude<ClashLogLevel, 'silent'>;
  payload: string;
}

const PINO_LEVEL: Record<ClashLogLevel, number> = { debug: 20, info: 30, warning: 40, error: 50, silent: Infinity };

/** Fields every pino line has; the rest are shown after the message as `key=value`. */
const ENVELOPE = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

type Listener = (frame: LogFrame) => void;

/** A pino destination, with the flush methods pino's own streams have. */
export type FlushableStream = pino.DestinationStream & { flush?(cb?: (err?: Error) => void): void; flushSync?(): void };

/**
 * Log lines for `/logs`: the core's pino logger writes through `destination()`, which passes every line
 * on to stderr (or another stream) and to the subscribers. Lines arrive after pino's redaction, so
 * credentials never reach a dashboard either. Parsing happens only while someone listens.
 */
export class LogHub {
  private readonly listeners = new Map<Listener, number>();

  /** A pino destination that also publishes here; `next` defaults to asynchronous stderr. */
  destination(next: FlushableStream = pino.destination({ dest: 2, sync: false })): Required<FlushableStream> {
    return {
      write: (line: string) => {
        next.write(line);
        this.publish(line);
      },
      // pino's logger.flush() and the exit path reach the real stream through these.
      flush: (cb?: (err?: Error) => void) => (next.flush ? next.flush(cb) : cb?.()),
      flushSync: () => next.flushSync?.(),
    };
  }

  /** Calls `listener` for every line at `level` or above. Returns the unsubscribe function. */
  subscribe(level: ClashLogLevel, listener: Listener): () => void {
    this.listeners.set(listener, PINO_LEVEL[level]);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** One serialized pino line (JSON, newline-terminated). */
  publish(line: string): void {
    if (this.listeners.size === 0) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = typeof record.level === 'number' ? record.level : PINO_LEVEL.info;
    const frame: LogFrame = { type: clashType(level), payload: payloadOf(record) };
    for (const [listener, min] of this.listeners) {
      if (level >= min) listener(frame);
    }
  }
}

function clashType(pinoLevel: number): LogFrame['type'] {
  if (pinoLevel >= PINO_LEVEL.error) return 'error';
  if (pinoLevel >= PINO_LEVEL.warning) return 'warning';
  if (pinoLevel >= PINO_LEVEL.info) return 'info';
  return 'debug';
}

function payloadOf(record: Record<string, unknown>): string {
  const fields = Object.entries(record)
    .filter(([k]) => !ENVELOPE.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return [msg, ...fields].filter(Boolean).join(' ');
}
