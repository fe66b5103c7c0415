import type { LatencyResult, LatencyTestOptions } from '../../adapter/prober.js';
import { PoolNotSelectableError, UnknownMemberError } from '../../balance/errors.js';
import { clashProxies, clashProxy } from '../clash-shapes.js';
import { ApiError, badField, noContent, notFound, queryInt, queryUrl, readJsonObject, sendJson } from '../http.js';
import type { ApiContext, RouteTable } from '../types.js';

/** Clash dashboards send 5000; mihomo accepts up to an int16. */
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * mihomo's `expected`: status codes and ranges joined by `/` (`204`, `200-299/302`); empty means any
 * success. Expanded to the list ProbeService takes.
 */
export function parseExpectedStatus(raw: string | null): number[] | undefined {
  if (raw === null || raw === '' || raw === '*') return undefined;
  const codes: number[] = [];
  for (const part of raw.split('/')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    const from = Number(m?.[1]);
    const to = m?.[2] ? Number(m[2]) : from;
    if (!m || from < 100 || to > 599 || to < from) throw badField('expected', 'status codes like 204 or 200-299/302', raw);
    for (let c = from; c <= to; c++) codes.push(c);
  }
  return codes;
}

function latencyOptions(query: URLSearchParams): LatencyTestOptions {
  return {
    url: queryUrl(query, 'url'),
    timeoutMs: queryInt(query, 'timeout', 1, 60_000) ?? DEFAULT_TIMEOUT_MS,
    expectedStatus: parseExpectedStatus(query.get('expected')),
  };
}

/** Probes report failures as results; a probe that throws anyway is one more failure, not a 500. */
async function testLatency(api: ApiContext, name: string, options: LatencyTestOptions): Promise<LatencyResult> {
  try {
    return await api.requireProbes().testLatency(name, options);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    return { name, ok: false, mode: options.mode ?? 'http', at: Date.now(), error: { code: 'INTERNAL', message: (err as Error).message } };
  }
}

/** A measured 0 ms would read as "failed" to a dashboard; loopback can be that fast. */
const delayOf = (r: LatencyResult) => Math.max(1, Math.round(r.latencyMs ?? 0));

function requireGroup(api: ApiContext, name: string) {
  const pool = api.engine.pools.get(name);
  if (!pool) throw notFound('group', name);
  return pool;
}

export const proxyRoutes: RouteTable = [
  { method: 'GET', path: '/proxies', handle: ({ res, api }) => sendJson(res, 200, { proxies: clashProxies(api.engine, api.probes) }) },
  {
    method: 'GET',
    path: '/proxies/:name',
    handle: ({ res, params, api }) => {
      const proxy = clashProxy(api.engine, params.name!, api.probes);
      if (!proxy) throw notFound('proxy', params.name!);
      sendJson(res, 200, proxy);
    },
  },
  {
    method: 'PUT',
    path: '/proxies/:name',
    handle: async ({ req, res, params, api }) => {
      const group = params.name!;
      if (!api.engine.outbounds.has(group)) throw notFound('proxy', group);
      const body = await readJsonObject(req);
      const member = body.name;
      if (typeof member !== 'string' || member === '') throw badField('name', 'the name of a member of the group', member);
      const pool = api.engine.pools.get(group);
      if (!pool) throw new ApiError(400, `${JSON.stringify(group)} is a proxy, not a group; only select groups take a chosen member`);
      try {
        pool.select(member);
      } catch (err) {
        if (err instanceof UnknownMemberError) throw new ApiError(400, `name: ${err.message}`);
        if (err instanceof PoolNotSelectableError) throw new ApiError(400, err.message);
        throw err;
      }
      api.logger.info({ group, member }, 'member selected by the controller');
      noContent(res);
    },
  },
  {
    method: 'GET',
    path: '/proxies/:name/delay',
    handle: async ({ res, params, query, api }) => {
      const name = params.name!;
      if (!api.engine.outbounds.has(name)) throw notFound('proxy', name);
      const result = await testLatency(api, name, latencyOptions(query));
      if (result.ok) return sendJson(res, 200, { delay: delayOf(result) });
      if (result.error?.code === 'TIMEOUT') return sendJson(res, 504, { message: 'Timeout' });
      sendJson(res, 503, { message: result.error?.message ?? 'An error occurred in the delay test' });
    },
  },
  {
    method: 'GET',
    path: '/group',
    handle: ({ res, api }) => sendJson(res, 200, { proxies: [...api.engine.pools.keys()].map((n) => clashProxy(api.engine, n, api.probes)) }),
  },
  {
    method: 'GET',
    path: '/group/:name',
    handle: ({ res, params, api }) => {
      requireGroup(api, params.name!);
      sendJson(res, 200, clashProxy(api.engine, params.name!, api.probes));
    },
  },
  {
    method: 'GET',
    path: '/group/:name/delay',
    handle: async ({ res, params, query, api }) => {
      const name = params.name!;
      requireGroup(api, name);
      const options = latencyOptions(query);
      const results = await api.requireProbes().testPool(name, options);
      // mihomo's answer: member → delay for the members that answered in time.
      const delays: Record<string, number> = {};
      for (const r of results) if (r.ok) delays[r.name] = delayOf(r);
      if (results.length && Object.keys(delays).length === 0) {
        const why = results.map((r) => `${r.name} ${r.error?.code ?? 'failed'}`).join(', ');
        return sendJson(res, 504, { message: `get delay: every member failed: ${why}` });
      }
      sendJson(res, 200, delays);
    },
  },
];
