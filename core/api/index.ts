/** The external controller: Clash-compatible REST + WebSocket API, our /switchyard/ routes, the UI. */
export { Controller, type ControllerOptions, type ControllerAddress } from './controller.js';
export { LogHub, type LogFrame, type ClashLogLevel } from './log-hub.js';
export type { ControllerEngine, RouteDef, RouteTable } from './types.js';
