import type { StreamSource } from './types.js';

/**
 * A frame now and then every `intervalMs` until stopped. A frame that throws ends nothing: the error is
 * sent as `{ message }` so a dashboard sees it, and the next tick tries again.
 */
export function periodic(intervalMs: number, frame: () => unknown): StreamSource {
  return (send) => {
    const tick = () => {
      let value: unknown;
      try {
        value = frame();
      } catch (err) {
        value = { message: (err as Error).message };
      }
      send(value);
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    return () => clearInterval(timer);
  };
}
