import type { StrategyFactory } from '../adapter/strategy.js';
import { firstInListOrder } from './member-order.js';

/** The first alive member in list order (`fallback` groups). */
export const failover: StrategyFactory = () => (members) => firstInListOrder(members);
