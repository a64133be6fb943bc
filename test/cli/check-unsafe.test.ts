/** `dr check` and `dr ready` on plans that load but are unsafe: a message and exit 2, or a loud warning. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDr } from '../support/cli';
import { mailboxActiveActive } from '../support/plans';

const dr = runDr;

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dr-unsafe-')), name);
  writeFileSync(path, text);
  return path;
}

const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

describe('dr check on unsafe input', () => {
  it('a plan of 10,000 nested arrays is exit 2 with a message, not exit 70', async () => {
    const r = await dr(['check', file('plan.json', deep)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('[json-depth]: refused JSON at line 1, column 65');
    expect(r.err).not.toContain('unexpected error');
  });

  it('dr classify refuses a 10,000-deep definition with exit 2 and says why', async () => {
    const r = await dr(['classify', file('wf.json', `{"triggers":{},"actions":${deep}}`)]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nested deeper than 256 levels');
  });
});

describe('dr check on a declared stateSide that contradicts the classifier', () => {
  it('exits 0 (the operator may know better) but warns loudly on stderr and in --json', async () => {
    const plan = file('plan.json', mailboxActiveActive());
    const r = await dr(['check', plan]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mailbox-poller\s+active-active/);
    expect(r.err).toMatch(/^WARNING: 1 warning\(s\)/);
    expect(r.err).toMatch(
      /plan\.json:\d+:\d+ workflows\[3\]\.stateSide \[state-side-overrides-classifier\].*office365 trigger.*mail will be read in both regions/,
    );
    const json = await dr(['check', plan, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).warnings.map((w: { rule: string }) => w.rule)).toEqual([
      'state-side-overrides-classifier',
    ]);
  });
});
