import { listServers } from '../../subscription/server-listing.js';
import type { SubscriptionInput, SubscriptionPatch } from '../../store/subscriptions.js';
import type { SubscriptionService, SubscriptionView } from '../../subscription/refresh.js';
import { ApiError, badField, noContent, notFound, readJsonObject, sendJson } from '../http.js';
import type { ApiContext, RouteTable } from '../types.js';

const FIELDS = ['url', 'name', 'interval', 'userAgent', 'viaProxy', 'enabled'] as const;
/** A year, in seconds; 0 means "refresh by hand only". */
const MAX_INTERVAL_S = 31_536_000;

/**
 * Reads an add (`{ url, name?, interval?, userAgent?, viaProxy?, enabled? }`) or an update (any of them)
 * body. `interval` is seconds; null in an update goes back to the server's profile-update-interval or
 * 24 h, and a null userAgent back to the default. Each bad field is a 400 naming it.
 */
function readSubscriptionBody(body: Record<string, unknown>, adding: boolean): SubscriptionPatch {
  const unknown = Object.keys(body).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new ApiError(400, `${unknown.join(', ')}: unknown field (a subscription takes ${FIELDS.join(', ')})`);
  const out: SubscriptionPatch = {};
  if (body.url !== undefined || adding) {
    const ok = typeof body.url === 'string' && /^https?:\/\//i.test(body.url) && URL.canParse(body.url);
    // The URL carries the user's token: the message names the field, not the value.
    if (!ok) throw badField('url', 'an http(s) URL', typeof body.url === 'string' ? '(a string that is not an http(s) URL)' : body.url);
    out.url = body.url as string;
  }
  if (body.name !== undefined) {
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200) throw badField('name', 'a non-empty string of at most 200 characters', body.name);
    out.name = body.name.trim();
  }
  if (body.interval !== undefined) {
    const v = body.interval;
    const ok = (v === null && !adding) || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_INTERVAL_S);
    if (!ok) throw badField('interval', `an integer number of seconds 0-${MAX_INTERVAL_S}${adding ? '' : ' or null'}`, v);
    out.intervalS = v as number | null;
  }
  if (body.userAgent !== undefined) {
    const v = body.userAgent;
    const ok = (v === null && !adding) || (typeof v === 'string' && v.trim() !== '' && v.length <= 500 && !/[\r\n]/.test(v));
    if (!ok) throw badField('userAgent', `a one-line string of at most 500 characters${adding ? '' : ' or null'}`, v);
    out.userAgent = v as string | null;
  }
  for (const key of ['viaProxy', 'enabled'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'boolean') throw badField(key, 'true or false', body[key]);
    if (body[key] !== undefined) out[key] = body[key] as boolean;
  }
  return out;
}

/**
 * The service and the subscription, or a 404. A core without a data directory stores no subscriptions:
 * reads find none, and only adding one answers 503 saying why.
 */
function requireSubscription(api: ApiContext, id: string): { subscriptions: SubscriptionService; view: SubscriptionView } {
  const subscriptions = api.subscriptions;
  const view = subscriptions?.get(id);
  if (!subscriptions || !view) throw notFound('subscription', id);
  return { subscriptions, view };
}

/** Stored subscriptions: list, add, change, delete, refresh now, and the servers of one (never their credentials). */
export const subscriptionRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/switchyard/subscriptions',
    handle: ({ res, api }) => sendJson(res, 200, { subscriptions: api.subscriptions?.list() ?? [] }),
  },
  {
    method: 'POST',
    path: '/switchyard/subscriptions',
    handle: async ({ req, res, api }) => {
      const fields = readSubscriptionBody(await readJsonObject(req), true);
      const subscriptions = api.requireSubscriptions();
      const input: SubscriptionInput = { ...fields, url: fields.url!, name: fields.name ?? new URL(fields.url!).hostname };
      // The first fetch runs before the answer, so the list the UI shows next already has the servers.
      const { subscription, result } = await subscriptions.add(input);
      // Its servers join the running pools before the answer, like any change made here.
      api.engine.stored?.sync();
      sendJson(res, 201, { subscription, result });
    },
  },
  {
    method: 'GET',
    path: '/switchyard/subscriptions/:id',
    handle: ({ res, params, api }) => sendJson(res, 200, requireSubscription(api, params.id!).view),
  },
  {
    method: 'PATCH',
    path: '/switchyard/subscriptions/:id',
    handle: async ({ req, res, params, api }) => {
      const { subscriptions } = requireSubscription(api, params.id!);
      const patch = readSubscriptionBody(await readJsonObject(req), false);
      const view = subscriptions.update(params.id!, patch);
      api.engine.stored?.sync();
      sendJson(res, 200, view);
    },
  },
  {
    method: 'DELETE',
    path: '/switchyard/subscriptions/:id',
    handle: ({ res, params, api }) => {
      if (!api.subscriptions?.remove(params.id!)) throw notFound('subscription', params.id!);
      api.engine.stored?.sync();
      noContent(res);
    },
  },
  {
    method: 'POST',
    path: '/switchyard/subscriptions/:id/refresh',
    handle: async ({ res, params, api }) => {
      const { subscriptions } = requireSubscription(api, params.id!);
      const result = await subscriptions.refresh(params.id!);
      if (!result) throw notFound('subscription', params.id!); // deleted meanwhile
      api.engine.stored?.sync();
      const subscription = subscriptions.get(params.id!);
      // 502: the subscription server failed us; the servers stored before stay, and the body says why.
      if (!result.ok) sendJson(res, 502, { message: `refresh failed: ${result.error}`, code: result.code, subscription });
      else sendJson(res, 200, { subscription, result });
    },
  },
  {
    method: 'GET',
    path: '/switchyard/subscriptions/:id/servers',
    handle: ({ res, params, api }) => {
      const { subscriptions } = requireSubscription(api, params.id!);
      const stored = api.engine.stored;
      sendJson(res, 200, { servers: listServers(subscriptions.store, params.id!, stored && ((id) => stored.outboundName(id))) });
    },
  },
];
