import type { StrategyFactory } from '../adapter/strategy.js';

/** Uniform choice among the alive members (the V2Ray balancer). */
export const random: StrategyFactory = (options) => {
  const rand = options.random ?? Math.random;
  return (members) => members[Math.min(members.length - 1, Math.floor(rand() * members.length))]!;
};
