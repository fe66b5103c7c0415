/** Share links and subscription bodies: pure parsing and export, no network. */
export { parseLink, exportLink, type LinkParseResult } from './links/index.js';
export { parseSubscription } from './formats/parse-subscription.js';
export { exportSubscription, type ExportEntry, type ExportOptions } from './formats/export-subscription.js';
export type { ParsedSubscription, SubscriptionFormat } from './formats/collector.js';
export { createNameDeduplicator } from './formats/unique-names.js';
export { BadLinkError, SubscriptionError, type SubscriptionErrorCode, type SubscriptionIssue } from './errors.js';
export * from './types.js';
