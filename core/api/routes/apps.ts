import { APP_POLICIES, type AppPolicyKind } from '../../route/apps.js';
import type { AppPolicies } from '../../route/app-policies.js';
import { ApiError, badField, noContent, readJsonObject, sendJson } from '../http.js';
import type { ControllerEngine, RouteTable } from '../types.js';

/** The engine's app policies; an engine built without them (a test double) answers 503. */
function appsOf(engine: ControllerEngine): AppPolicies {
  const apps = (engine as Partial<{ apps: AppPolicies }>).apps;
  if (!apps) throw new ApiError(503, 'apps: per-app policies are not available in this core');
  return apps;
}

function refuseUnknown(body: Record<string, unknown>, known: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length) throw new ApiError(400, `${unknown.join(', ')}: unknown field (${what} takes ${known.join(', ')})`);
}

/** `{ policy, target?, closeConnections? }`, every field checked by name before anything changes. */
function readPolicy(body: Record<string, unknown>, pools: readonly string[]): { policy: AppPolicyKind; target: string | null; closeConnections: boolean } {
  refuseUnknown(body, ['policy', 'target', 'closeConnections'], 'an app policy');
  const policy = body.policy;
  if (typeof policy !== 'string' || !(APP_POLICIES as readonly string[]).includes(policy)) throw badField('policy', `one of ${APP_POLICIES.join(', ')}`, policy);
  let target: string | null = null;
  if (policy === 'pool') {
    if (typeof body.target !== 'string' || !pools.includes(body.target)) throw badField('target', `the name of a pool (${pools.join(', ')})`, body.target);
    target = body.target;
  } else if (body.target !== undefined && body.target !== null) {
    throw badField('target', 'no target unless policy is pool', body.target);
  }
  const close = body.closeConnections;
  if (close !== undefined && typeof close !== 'boolean') throw badField('closeConnections', 'true or false', close);
  return { policy: policy as AppPolicyKind, target, closeConnections: close === true };
}

/** Applications seen in the last 7 days and their per-app policy (default / pool / direct / block). */
export const appRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/switchyard/apps',
    handle: ({ res, api }) => sendJson(res, 200, appsOf(api.engine).list()),
  },
  {
    method: 'PATCH',
    path: '/switchyard/apps',
    handle: async ({ req, res, api }) => {
      const apps = appsOf(api.engine);
      const body = await readJsonObject(req);
      refuseUnknown(body, ['tracking'], 'PATCH /switchyard/apps');
      if (typeof body.tracking !== 'boolean') throw badField('tracking', 'true or false', body.tracking);
      apps.setTracking(body.tracking);
      noContent(res);
    },
  },
  {
    method: 'PUT',
    path: '/switchyard/apps/:key',
    handle: async ({ req, res, params, api }) => {
      const apps = appsOf(api.engine);
      const key = params.key!;
      if (!key.trim()) throw badField('key', "an application's path or name", key);
      const { policy, target, closeConnections } = readPolicy(await readJsonObject(req), apps.pools);
      sendJson(res, 200, apps.setPolicy(key, policy, target, closeConnections));
    },
  },
];
