import type { BenchContext, Scenario } from '../scenario.js';
import { renderChecks, renderTable } from './report.js';

/**
 * A scenario alone, outside the harness (`node --import tsx bench/scenarios/<name>.ts`): set up, measure,
 * print its tables and checks as run.ts would, tear down. Only scenarios that need no native tools run so.
 */
export async function runStandalone<State>(scenario: Scenario<State>, workDir = process.cwd()): Promise<void> {
  const ctx: BenchContext = {
    config: {} as BenchContext['config'],
    workDir,
    tools: () => Promise.reject(new Error(`the ${scenario.name} scenario needs no native tools`)),
    log: (m) => console.error(`[bench] ${m}`),
  };
  const state = await scenario.setup(ctx);
  try {
    const report = await scenario.measure(state, ctx);
    for (const table of report.tables) console.log(`${renderTable(table)}\n`);
    console.log(`${renderChecks(report.checks)}\n`);
  } finally {
    await scenario.teardown(state, ctx);
  }
}

/** A scenario file's whole job as a script: exit 0 when `main` resolves, print the stack and exit 1 when it rejects. */
export function exitWhenDone(main: Promise<unknown>): void {
  main.then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err.stack ?? String(err));
      process.exit(1);
    },
  );
}
