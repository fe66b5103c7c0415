/**
 * The time, updated every second while the component that called this is mounted: for ages and durations
 * shown live ("12 s ago", an open connection's running time). Call it during component set-up.
 */
export function useSecondClock(): { readonly now: number } {
  let now = $state(Date.now());
  $effect(() => {
    const timer = setInterval(() => (now = Date.now()), 1000);
    return () => clearInterval(timer);
  });
  return {
    get now() {
      return now;
    },
  };
}
