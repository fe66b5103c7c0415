import type { SpeedTestOptions } from '../../adapter/prober.js';
import { ApiError, badField, notFound, queryInt, readJsonObject, sendJson } from '../http.js';
import { liveStatsFrame } from '../live-stats.js';
import { periodic } from '../streams.js';
import type { ApiContext, RouteTable } from '../types.js';

function requireOutbound(api: ApiContext, name: string): void {
  if (!api.engine.outbounds.has(name)) throw notFound('proxy', name);
}

/** Optional `{ url, maxBytes, maxMs }`; each checked by name. */
function speedOptions(body: Record<string, unknown>): SpeedTestOptions {
  const known = ['url', 'maxBytes', 'maxMs'];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length) throw new ApiError(400, `${unknown.join(', ')}: unknown field (a speed test takes ${known.join(', ')})`);
  const options: SpeedTestOptions = {};
  if (body.url !== undefined) {
    const ok = typeof body.url === 'string' && /^https?:\/\//.test(body.url) && URL.canParse(body.url);
    if (!ok) throw badField('url', 'an http(s) URL', body.url);
    options.url = body.url as string;
  }
  const positiveInt = (key: 'maxBytes' | 'maxMs', max: number) => {
    const v = body[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw badField(key, `an integer 1-${max}`, v);
    options[key] = v;
  };
  positiveInt('maxBytes', 1024 ** 3);
  positiveInt('maxMs', 120_000);
  return options;
}

/** Ours, under /switchyard/: live per-server numbers, pools, speed tests, probe history. */
export const switchyardRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/switchyard/stats',
    stream: ({ api }) => periodic(api.streamIntervalMs, () => liveStatsFrame(api.engine, api.probes)),
  },
  {
    method: 'GET',
    path: '/switchyard/pools',
    handle: ({ res, api }) => sendJson(res, 200, { pools: [...api.engine.pools.values()].map((p) => p.snapshot()) }),
  },
  {
    method: 'POST',
    path: '/switchyard/speedtest/:name',
    handle: async ({ req, res, params, api }) => {
      const name = params.name!;
      requireOutbound(api, name);
      const options = speedOptions(await readJsonObject(req, { allowEmpty: true }));
      const result = await api.requireProbes().testSpeed(name, options);
      sendJson(res, 200, result);
    },
  },
  {
    method: 'GET',
    path: '/switchyard/history/:name',
    handle: ({ res, params, query, api }) => {
      const name = params.name!;
      requireOutbound(api, name);
      const kind = query.get('kind') || undefined;
      if (kind !== undefined && kind !== 'latency' && kind !== 'speed') throw badField('kind', 'latency or speed', kind);
      const since = queryInt(query, 'since', 0, Number.MAX_SAFE_INTEGER);
      sendJson(res, 200, { name, samples: api.requireProbes().history(name, { since, kind }) });
    },
  },
];
