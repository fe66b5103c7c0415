/** The profile: plain-data types, the YAML loader and writer. */
export * from './types.js';
export { loadProfile, loadProfileFile } from './load.js';
export { stringifyProfile } from './stringify.js';
export { listenAddress, parseHostPort, formatHostPort } from './settings.js';
export { parseRule, formatRule, RULE_TYPES } from './rules.js';
