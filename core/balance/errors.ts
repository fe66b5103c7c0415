/** A pool names a strategy the registry does not know; the message lists the ones it does. */
export class UnknownStrategyError extends Error {
  override readonly name = 'UnknownStrategyError';
  readonly code = 'UNKNOWN_STRATEGY';
  constructor(
    readonly strategy: string,
    readonly known: readonly string[],
  ) {
    super(`unknown strategy ${JSON.stringify(strategy)}; known strategies: ${known.join(', ')}`);
  }
}

/** `select(name)` on a pool that has no member of that name (API PUT /proxies/{group}). */
export class UnknownMemberError extends Error {
  override readonly name = 'UnknownMemberError';
  readonly code = 'UNKNOWN_MEMBER';
  constructor(
    readonly pool: string,
    readonly member: string,
    readonly known: readonly string[],
  ) {
    super(`pool ${JSON.stringify(pool)} has no member ${JSON.stringify(member)}; members: ${known.join(', ')}`);
  }
}

/** Only a `select` pool takes the user's choice; the others pick by their strategy. */
export class PoolNotSelectableError extends Error {
  override readonly name = 'PoolNotSelectableError';
  readonly code = 'NOT_SELECTABLE';
  constructor(
    readonly pool: string,
    readonly type: string,
  ) {
    super(`pool ${JSON.stringify(pool)} is a ${type} group; only select groups take a chosen member`);
  }
}

/** Only a `load-balance` pool's strategy can be changed; the other group types imply theirs. */
export class StrategyFixedError extends Error {
  override readonly name = 'StrategyFixedError';
  readonly code = 'STRATEGY_FIXED';
  constructor(
    readonly pool: string,
    readonly type: string,
    readonly strategy: string,
  ) {
    super(`pool ${JSON.stringify(pool)} is a ${type} group, whose strategy is always ${strategy}; only load-balance groups choose one`);
  }
}
