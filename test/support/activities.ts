/** The real activities over the real SDK against the ARM simulator, as the function app wires them. */
import { createActivities } from '../../src/activities';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { createHealthProbe } from '../../src/adapters/probe';
import { simulatorConnection } from '../../local/sim/arm';
import type { Plan } from '../../src/plan/schema';
import type { CheckedSimulator } from '../sim/arm/helpers';

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
