/**
 * `dr ready` and `dr whatif` without Azure credentials, as a fresh clone runs them: one line naming the way
 * out and exit 3, never a report built from 19 failed reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

function dr(...args: string[]) {
  // No Azure identity anywhere: an empty home (no az, azd or VS Code sign-in), no AZURE_* variables.
  const home = mkdtempSync(join(tmpdir(), 'dr-no-login-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/dr.js'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('without an ARM token', () => {
  it.each([
    ['ready', ['ready', 'examples/plan.json']],
    ['whatif', ['whatif', 'examples/plan.json', 'failover']],
  ])('dr %s stops at the first token failure with one line and exit 3', (name, args) => {
    const r = dr(...args);
    expect(r.err.trim()).toBe(`dr ${name}: no ARM token: run \`az login\`, or pass \`--sim URL\``);
    expect(r.out).toBe('');
    expect(r.code).toBe(3);
  });
});
