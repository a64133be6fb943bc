/** The health probe of the primary region. */
import type { ProbeActivityResult } from '../durable/contracts';
import type { ActivityContext } from './context';
import { recordProbe } from '../telemetry/metrics';

export function probeActivities({ plan, probe: healthProbe, now }: ActivityContext) {
  /** `at` is the orchestration's time, so probe times line up with the monitor's decisions. */
  const probe = async (input?: { at?: string }): Promise<ProbeActivityResult> => {
    const result = await healthProbe.probe(plan.healthCheck, input?.at ? new Date(input.at) : now());
    recordProbe(plan.id, result);
    return result;
  };

  return { probe };
}
