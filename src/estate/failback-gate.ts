/**
 * The failback's gate: before a failback moves anything, the primary must be able to take it. A failing health
 * check holds every entry (nothing is stood down in the secondary); a forced failback skips the soak, never
 * this. The planning activity asks it, and so do `dr whatif failback` and the HTTP dry run, so a preview holds
 * what the real failback would.
 */
import type { HealthProbe } from '../adapters/probe';
import type { Plan } from '../plan/schema';

/** Why the primary cannot take a failback now (its health check fails), or undefined when it can. */
export async function primaryUnfit(probe: HealthProbe, plan: Plan, now: Date): Promise<string | undefined> {
  const result = await probe.probe(plan.healthCheck, now);
  if (result.healthy) return undefined;
  const what = [result.failure, result.status, result.detail].filter((x) => x !== undefined).join(', ');
  return `the primary's health check fails (${what || 'unhealthy'})`;
}
