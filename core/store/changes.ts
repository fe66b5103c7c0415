/**
 * Tells whoever runs servers from the store (the engine's stored providers) that servers or subscriptions
 * changed, whoever wrote them: an API route, a refresh, a profile import. Listeners run synchronously,
 * possibly inside a transaction, so they should only schedule their re-read.
 */
export class StoreChanges {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}
