import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');

/*
 * electron/ against Electron's own type definitions (node_modules/electron/electron.d.ts), including the
 * JavaScript preload (checkJs). Part of `npm test` through vitest; `npm run typecheck:electron` is the
 * same check alone. Errors in core/ files are the root type-check's to report, so only ours count here.
 */
describe('electron/ type-check', () => {
  it('has no type errors against Electron and Node types', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const output = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.electron.json'), '--noEmit', '--pretty', 'false'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (_err, stdout, stderr) =>
        resolve(`${stdout}${stderr}`),
      );
    });
    const ours = output.split('\n').filter((line) => /^(electron\/|bin\/start\.mjs)/.test(line));
    expect(ours).toEqual([]);
    // A run that failed for another reason (no such config, tsc crashed) must not pass silently.
    expect(output).not.toMatch(/error TS5\d{3}|Cannot find module/);
  }, 120_000);
});
