import { pathOf, request } from '../lib/api/client.js';
import { openStream, type StreamHandle } from '../lib/api/stream.js';
import type { ClashConnection, ClashConnections } from '../lib/api/types.js';
import { runAction } from './actions.svelte.js';

export interface ConnectionRow {
  id: string;
  process: string;
  /** host:port as the client asked for it. */
  target: string;
  /** Outermost first: auto → jp1. */
  chain: string[];
  rule: string;
  upRate: number;
  downRate: number;
  up: number;
  down: number;
  startedAt: number;
}

/** The `/connections` stream, with per-connection rates from consecutive frames. */
class ConnectionsStore {
  rows = $state.raw<ConnectionRow[]>([]);
  uploadTotal = $state(0);
  downloadTotal = $state(0);
  connected = $state(false);
  error = $state('');
}

export const connections = new ConnectionsStore();

let previous = new Map<string, { up: number; down: number; at: number }>();

function toRow(c: ClashConnection, at: number): ConnectionRow {
  const m = c.metadata;
  const before = previous.get(c.id);
  const seconds = before ? Math.max(0.001, (at - before.at) / 1000) : 1;
  const host = m.host || m.destinationIP || m.remoteDestination;
  return {
    id: c.id,
    process: m.process || '',
    target: `${host.includes(':') ? `[${host}]` : host}:${m.destinationPort}`,
    chain: [...c.chains].reverse(),
    rule: c.rulePayload ? `${c.rule} ${c.rulePayload}` : c.rule,
    upRate: before ? Math.max(0, (c.upload - before.up) / seconds) : 0,
    downRate: before ? Math.max(0, (c.download - before.down) / seconds) : 0,
    up: c.upload,
    down: c.download,
    startedAt: Date.parse(c.start),
  };
}

function applyFrame(frame: ClashConnections): void {
  const at = Date.now();
  const list = frame.connections ?? [];
  connections.rows = list.map((c) => toRow(c, at));
  previous = new Map(list.map((c) => [c.id, { up: c.upload, down: c.download, at }]));
  connections.uploadTotal = frame.uploadTotal;
  connections.downloadTotal = frame.downloadTotal;
}

let handle: StreamHandle | undefined;

export function useConnections(): () => void {
  handle = openStream<ClashConnections>('/connections', {}, applyFrame, (s) => {
    connections.connected = s.connected;
    connections.error = s.error;
  });
  return () => {
    handle?.close();
    handle = undefined;
  };
}

/** Ends one connection; it leaves the list with the next frame. */
export function closeConnection(id: string): Promise<void | undefined> {
  return runAction(`close:${id}`, async () => {
    await request('DELETE', pathOf('/connections', id));
    connections.rows = connections.rows.filter((r) => r.id !== id);
  });
}

export function closeAllConnections(): Promise<void | undefined> {
  return runAction('close-all', async () => {
    await request('DELETE', '/connections');
    connections.rows = [];
  });
}
