/** Small valid plans for tests; each test mutates a fresh copy. */
import type { PlanInput } from '../../src/plan/schema';

export const PRIMARY_SUB = '11111111-2222-4333-8444-555555555555';

export function minimalPlan(): PlanInput & { workflows: Record<string, unknown>[] } {
  return {
    id: 'test-plan',
    primary: { location: 'westeurope', subscriptionId: PRIMARY_SUB, resourceGroup: 'rg-weu' },
    secondary: { location: 'northeurope', subscriptionId: PRIMARY_SUB, resourceGroup: 'rg-neu' },
    healthCheck: { workflow: 'health', trigger: 'manual', timeout: 'PT5S', expectStatus: [200] },
    policy: { probeInterval: 'PT30S', failureThreshold: 3 },
    workflows: [{ name: 'api', role: 'active-active', trigger: 'request', primary: 'api', secondary: 'api' }],
  };
}
