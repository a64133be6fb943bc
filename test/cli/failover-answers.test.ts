/**
 * What `dr failover` prints for the answers the runbook relies on: a dry run the monitor would refuse is refused
 * (exit 1, with the monitor's reason in CLI terms), and a break-glass failover names the one it supersedes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDr } from '../support/cli';
import { inFuture, KEY, MIN, startApiEstate, type ApiEstate } from '../http/support';

let estate: ApiEstate;
let env: Record<string, string>;
beforeAll(async () => {
  estate = await startApiEstate();
  env = { DR_API_URL: `${estate.host.url}/api`, DR_API_KEY: KEY };
  await estate.advance(MIN);
});
afterAll(async () => estate?.stop());

describe('dr failover answers', () => {
  it('--dry-run while the primary fails: refused as the planned failover would be, in CLI terms', async () => {
    // Paused, so the failing primary is not failed over automatically meanwhile.
    expect(
      (await runDr(['pause', '--until', inFuture(estate, 30 * MIN), '--reason', 'drill'], env)).code,
    ).toBe(0);
    estate.sim.outage('westeurope', { kind: 'unhealthy', mode: 'status' });
    await estate.advance(MIN);
    const dry = await runDr(['failover', '--reason', 'x', '--dry-run'], env);
    expect(dry.code).toBe(1);
    expect(dry.out).toBe('');
    expect(dry.err).toMatch(
      /^dr failover: 409: dry run: the failover would be refused: the primary is failing its health check .*--kind emergency/,
    );
    const emergency = await runDr(['failover', '--reason', 'x', '--dry-run', '--kind', 'emergency'], env);
    expect(emergency.code).toBe(0);
    expect(emergency.out).toMatch(/^DRY RUN: nothing was changed\nemergency failover: /);
    expect(estate.operations()).toEqual([]);
    estate.sim.restore('westeurope');
    await estate.advance(MIN);
    expect((await runDr(['resume'], env)).code).toBe(0);
  });

  it('a break-glass failover names the operation it supersedes, in its dry run and its answer', async () => {
    const first = await runDr(['failover', '--reason', 'drill'], env); // planned: waits for a slot boundary
    const running = /^failover (failover-\S+) started;/.exec(first.out)?.[1];
    expect(running, first.out + first.err).toBeDefined();
    const breakGlass = ['failover', '--reason', 'now', '--kind', 'emergency', '--override', 'no-dual-active'];
    const dry = await runDr([...breakGlass, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(
      new RegExp(
        `^DRY RUN: nothing was changed; it would supersede ${running}, which stops at its next step`,
      ),
    );
    const r = await runDr(breakGlass, env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(`^failover failover-\\S+ started \\(it supersedes ${running}\\); follow it with: dr status`),
    );
  });
});
