import type { Scenario } from '../scenario.js';
import { core } from './core.js';
import { probes } from './probes.js';
import { protocols } from './protocols.js';
import { rules } from './rules.js';
import { subscription } from './subscription.js';
import { ui } from './ui.js';

/** Every benchmark, in the order `npm run bench` runs them. Add new scenarios here. */
// `any`: each scenario has its own state type, which only it sees.
export const scenarios: Scenario<any>[] = [core, protocols, probes, subscription, ui, rules];
