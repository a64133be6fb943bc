/**
 * The break-glass scenarios' shared set-up (issue 22): the example estate's primary ARM failing every request,
 * the operator's emergency failover with the no-dual-active override, and what must hold once the secondary runs
 * and once the primary's ARM answers again.
 */
import { expect } from 'vitest';
import type { OperationRequest } from '../../src/durable/contracts';
import { enabledAt, stateOf, type Estate } from './estate';

export const MIN = 60_000;
export const PRIMARY = 'westeurope';
export const SECONDARY = 'northeurope';
/** The example plan's active-passive workflows: they run in one region at a time, behind a fence. */
export const ACTIVE_PASSIVE = ['order-webhook', 'mailbox-poller', 'invoice-sync'];

/** What the on-call operator asks: leave the primary now, accepting that its copies may still run. */
export const BREAK_GLASS: OperationRequest = {
  direction: 'failover',
  kind: 'emergency',
  trigger: 'manual',
  caller: { by: 'oncall@contoso', reason: 'West Europe ARM broken: leave now' },
  override: ['no-dual-active'],
};

/** After 5 quiet minutes, the primary turns unhealthy and its ARM fails every request; returns when (virtual ms). */
export async function primaryArmOutage(e: Estate): Promise<number> {
  await e.advance(5 * MIN);
  const outageAt = e.host.clock.now();
  e.outage(PRIMARY, { kind: 'unhealthy', mode: 'status' });
  e.outage(PRIMARY, { kind: 'errors', rate: 1 });
  return outageAt;
}

/** Every active-passive workflow runs in the secondary, enabled within 2 minutes of the outage. */
export function expectSecondaryRunsWithin2Minutes(e: Estate, outageAt: number): void {
  for (const name of ACTIVE_PASSIVE) {
    expect(stateOf(e, SECONDARY, name), name).toBe('Enabled');
    expect(enabledAt(e, SECONDARY, name)! - outageAt, name).toBeLessThanOrEqual(2 * MIN);
  }
}

/** The primary's ARM answers again: within a minute every pending fence is applied (never both). */
export async function expectFencesAppliedWhenPrimaryArmAnswers(e: Estate): Promise<void> {
  e.sim.restore(PRIMARY, 'errors');
  await e.sim.settle();
  await e.advance(MIN, 5_000);
  for (const name of ACTIVE_PASSIVE) expect(stateOf(e, PRIMARY, name), name).toBe('Disabled');
  expect(e.monitor().pendingFences).toEqual([]);
}
