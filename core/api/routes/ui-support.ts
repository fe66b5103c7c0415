import { StrategyFixedError, UnknownStrategyError } from '../../balance/errors.js';
import { HEALTH_SCORE_SCALES, HEALTH_SCORE_WEIGHTS } from '../../balance/health-score.js';
import { POOL_DEFAULTS } from '../../balance/pool.js';
import { STRATEGY_NAMES } from '../../config/types.js';
import { scheduleOf } from '../../probe/plan.js';
import { DEFAULT_LATENCY_TIMEOUT_MS } from '../../probe/latency.js';
import { ApiError, badField, noContent, notFound, readJsonObject, sendJson } from '../http.js';
import type { RouteTable } from '../types.js';

/** `GET /switchyard/strategies`: what the strategy picker offers, and the health score's weights to show beside scores. */
export interface UiStrategies {
  /** In the order DESIGN.md section 3 lists them. */
  strategies: string[];
  healthScore: { weights: Record<string, number>; scales: Record<string, number> };
}

/** One pool's probe and passive-health settings as the running core uses them (the group's value or the default). */
export interface UiPoolProbeSettings {
  /** The test URL; null when the group sets none (manual tests then use the core's default). */
  url: string | null;
  /** Seconds between scheduled rounds; 0 = not scheduled. Scheduled rounds also need a test URL. */
  intervalS: number;
  timeoutMs: number;
  /** ms hysteresis of least-latency / url-test. */
  tolerance: number;
  maxFailedTimes: number;
  /** Seconds an ejected member stays out. */
  failTimeoutS: number;
  lazy: boolean;
}

/**
 * The few things the UI needs that neither mihomo's API nor the rest of /switchyard/ offers: the
 * strategies and score weights, each pool's probe settings, and changing a load-balance pool's strategy
 * while the core runs (not written back to the profile: it lasts until the core restarts).
 */
export const uiSupportRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/switchyard/strategies',
    handle: ({ res }) => {
      const body: UiStrategies = { strategies: [...STRATEGY_NAMES], healthScore: { weights: { ...HEALTH_SCORE_WEIGHTS }, scales: { ...HEALTH_SCORE_SCALES } } };
      sendJson(res, 200, body);
    },
  },
  {
    method: 'GET',
    path: '/switchyard/probe-settings',
    handle: ({ res, api }) => {
      const pools: Record<string, UiPoolProbeSettings> = {};
      for (const g of api.engine.profile.proxyGroups) {
        const schedule = scheduleOf(g, undefined, true);
        pools[g.name] = {
          url: g.url ?? null,
          intervalS: schedule ? schedule.intervalMs / 1000 : 0,
          timeoutMs: g.timeout ?? DEFAULT_LATENCY_TIMEOUT_MS,
          tolerance: g.tolerance ?? POOL_DEFAULTS.tolerance,
          maxFailedTimes: g.maxFailedTimes ?? POOL_DEFAULTS.maxFailedTimes,
          failTimeoutS: g.failTimeout ?? POOL_DEFAULTS.failTimeoutMs / 1000,
          lazy: g.lazy === true,
        };
      }
      sendJson(res, 200, { pools });
    },
  },
  {
    method: 'PUT',
    path: '/switchyard/pools/:name/strategy',
    handle: async ({ req, res, params, api }) => {
      const name = params.name!;
      const pool = api.engine.pools.get(name);
      if (!pool) throw notFound('pool', name);
      const { strategy } = await readJsonObject(req);
      if (typeof strategy !== 'string' || strategy === '') throw badField('strategy', 'a strategy name', strategy);
      try {
        pool.setStrategy(strategy);
      } catch (err) {
        if (err instanceof UnknownStrategyError) throw new ApiError(400, `strategy: ${err.message}`);
        if (err instanceof StrategyFixedError) throw new ApiError(400, err.message);
        throw err;
      }
      api.logger.info({ pool: name, strategy }, 'pool strategy changed by the controller');
      noContent(res);
    },
  },
];
