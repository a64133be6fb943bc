/** The real activities over the real SDK against the ARM simulator, as the function app wires them. */
import { expect } from 'vitest';
import { createActivities } from '../../src/activities';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { simulatorConnection } from '../../local/sim/arm';
import { sampleEstateSeed } from '../../local/sim/sample-estate';
import type { Plan, PlanInput } from '../../src/plan/schema';
import { validatePlan } from '../../src/plan/validate';
import { startCheckedSimulator, type CheckedSimulator } from '../sim/arm/helpers';
import { minimalPlan } from './plans';

export type Activities = ReturnType<typeof createActivities>;

/** No SDK retries: a test sees each ARM answer as the activity does, and retries are the orchestration's. */
export function activitiesOn(sim: CheckedSimulator, plan: Plan, throttle = new ArmThrottle()): Activities {
  const control = createArmLogicAppsControl({ ...simulatorConnection(sim, throttle), maxRetries: 0 });
  return createActivities({
    plan,
    control,
    probe: createHealthProbe({ control, plan, settings: {}, ca: sim.caCertPem }),
  });
}

/** An active-passive webhook entry: a Consumption workflow of this name in each region. */
export const consumptionEntry = (name: string) => ({
  name,
  role: 'active-passive' as const,
  trigger: 'webhook' as const,
  primary: name,
  secondary: name,
});

/** An active-passive webhook entry on the sample estate's Standard sites (la-std-weu, la-std-neu). */
export const standardEntry = (name: string) => ({
  name,
  role: 'active-passive' as const,
  trigger: 'webhook' as const,
  primary: { site: 'la-std-weu', workflow: name },
  secondary: { site: 'la-std-neu', workflow: name },
});

/**
 * The minimal plan with these entries (it must validate), the ARM simulator seeded with the sample estate for
 * it, and the real activities on that simulator. The caller stops the simulator.
 */
export async function activitiesOnSampleEstate(
  workflows: PlanInput['workflows'],
): Promise<{ plan: Plan; sim: CheckedSimulator; activities: Activities }> {
  const raw = minimalPlan();
  raw.workflows = workflows;
  const validated = validatePlan(raw);
  expect(validated.issues).toEqual([]);
  const plan = validated.plan!;
  const sim = await startCheckedSimulator({ seed: sampleEstateSeed(plan) });
  return { plan, sim, activities: activitiesOn(sim, plan) };
}
