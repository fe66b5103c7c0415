import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'silent' | 'error' | 'warning' | 'info' | 'debug';

/** Clash calls it `warning`; pino calls it `warn`. */
const toPino = (level: LogLevel) => (level === 'warning' ? 'warn' : level);

/**
 * Credentials must never reach a log line: these paths are censored wherever they appear.
 */
const redact = {
  paths: ['password', 'uuid', 'auth', 'secret', 'token', '*.password', '*.uuid', '*.secret', '*.authentication'],
  censor: '[redacted]',
};

export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level: toPino(level), redact, base: undefined }, destination ?? pino.destination({ dest: 2, sync: false }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
