import { describe, expect, it } from 'vitest';
import { LogHub, type LogFrame } from '../../../core/api/log-hub.js';
import { createLogger } from '../../../core/logger.js';

describe('LogHub', () => {
  it('passes every line on to the next stream and turns it into {type, payload} for subscribers at or above their level', () => {
    const hub = new LogHub();
    const written: string[] = [];
    const logger = createLogger('debug', hub.destination({ write: (line: string) => void written.push(line) }));
    const all: LogFrame[] = [];
    const warnings: LogFrame[] = [];
    hub.subscribe('debug', (f) => all.push(f));
    const stop = hub.subscribe('warning', (f) => warnings.push(f));

    logger.debug('dial failed');
    logger.info({ pool: 'auto', member: 'jp1' }, 'member selected');
    logger.warn({ codes: ['TIMEOUT', 'REFUSED'] }, 'pool degraded');
    logger.error('controller listener error');

    expect(written).toHaveLength(4);
    expect(all).toEqual([
      { type: 'debug', payload: 'dial failed' },
      { type: 'info', payload: 'member selected pool=auto member=jp1' },
      { type: 'warning', payload: 'pool degraded codes=["TIMEOUT","REFUSED"]' },
      { type: 'error', payload: 'controller listener error' },
    ]);
    expect(warnings.map((f) => f.type)).toEqual(['warning', 'error']);

    stop();
    expect(hub.subscriberCount).toBe(1);
    logger.error('after');
    expect(warnings).toHaveLength(2);
  });

  it('publishes lines after redaction, so a credential never reaches /logs', () => {
    const hub = new LogHub();
    const frames: LogFrame[] = [];
    hub.subscribe('info', (f) => frames.push(f));
    const logger = createLogger('info', hub.destination({ write: () => {} }));
    logger.info({ secret: 'hunter2', token: 'hunter3' }, 'settings read');
    expect(frames[0]!.payload).not.toMatch(/hunter/);
    expect(frames[0]!.payload).toContain('[redacted]');
  });

  it('ignores lines that are not JSON and a silent subscriber hears nothing', () => {
    const hub = new LogHub();
    const frames: LogFrame[] = [];
    hub.subscribe('silent', (f) => frames.push(f));
    hub.publish('not json\n');
    hub.publish(`${JSON.stringify({ level: 60, msg: 'fatal' })}\n`);
    expect(frames).toEqual([]);
  });

  it('forwards flush to the next stream', () => {
    const hub = new LogHub();
    let flushed = 0;
    const dest = hub.destination({
      write: () => {},
      flush: (cb) => {
        flushed++;
        cb?.();
      },
    });
    let called = false;
    dest.flush(() => (called = true));
    expect(flushed).toBe(1);
    expect(called).toBe(true);
  });
});
