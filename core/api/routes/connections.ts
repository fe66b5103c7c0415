import { clashConnections } from '../clash-shapes.js';
import { noContent, queryInt, sendJson } from '../http.js';
import { periodic } from '../streams.js';
import type { RouteTable } from '../types.js';

export const connectionRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/connections',
    handle: ({ res, api }) => sendJson(res, 200, clashConnections(api.engine)),
    // mihomo takes `?interval=` (ms) on the WebSocket; dashboards leave it at 1 s.
    stream: ({ query, api }) => periodic(queryInt(query, 'interval', 100, 60_000) ?? api.streamIntervalMs, () => clashConnections(api.engine)),
  },
  {
    method: 'DELETE',
    path: '/connections',
    handle: ({ res, api }) => {
      const count = api.engine.tracker.size;
      api.engine.tracker.closeAll();
      api.logger.info({ count }, 'all connections closed by the controller');
      noContent(res);
    },
  },
  {
    method: 'DELETE',
    path: '/connections/:id',
    // 204 whether or not it was still open, as mihomo answers: a dashboard races the connection's own end.
    handle: ({ res, params, api }) => {
      api.engine.tracker.get(params.id!)?.close();
      noContent(res);
    },
  },
];
