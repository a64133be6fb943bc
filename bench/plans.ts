/** Synthetic plans for the benchmarks, built through the same validation as a plan file. */
import { validatePlan } from '../src/plan/validate';
import type { Plan } from '../src/plan/schema';

export const BENCH_SUBSCRIPTION = '0b5e1c2d-3f4a-4b6c-8d7e-9f0a1b2c3d4e';
export const PRIMARY_RG = 'rg-bench-weu';
export const SECONDARY_RG = 'rg-bench-neu';

export class BenchPlanError extends Error {
  override name = 'BenchPlanError';
}

export const workflowName = (i: number): string => `ap-${String(i).padStart(4, '0')}`;

/**
 * `n` active-passive workflows (client-side polling triggers, the case that must never run twice) in one
 * subscription, West Europe primary and North Europe secondary, all in failover group 0.
 */
export function activePassivePlan(n: number): Plan {
  if (!Number.isInteger(n) || n < 1)
    throw new BenchPlanError(`workflow count must be an integer >= 1, got ${n}`);
  const raw = {
    id: `bench-active-passive-${n}`,
    primary: { location: 'westeurope', subscriptionId: BENCH_SUBSCRIPTION, resourceGroup: PRIMARY_RG },
    secondary: { location: 'northeurope', subscriptionId: BENCH_SUBSCRIPTION, resourceGroup: SECONDARY_RG },
    healthCheck: {
      workflow: 'dr-healthcheck',
      trigger: 'manual',
      timeout: 'PT10S',
      expectStatus: [200],
      expectBody: { status: 'Healthy' },
    },
    policy: { probeInterval: 'PT30S', failureThreshold: 3 },
    workflows: Array.from({ length: n }, (_, i) => ({
      name: workflowName(i),
      role: 'active-passive',
      trigger: 'polling',
      stateSide: 'client',
      group: 0,
      primary: workflowName(i),
      secondary: workflowName(i),
    })),
  };
  const result = validatePlan(raw);
  if (!result.plan) {
    throw new BenchPlanError(
      `synthetic plan for ${n} workflows is invalid: ${result.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return result.plan;
}
