/** From plan references to the adapter's locators: a name lives in its region's resource group. */
import type { WorkflowLocator } from '../adapters/logicapps/port';
import type { WorkflowTarget } from '../core/planner';
import type { Plan, WorkflowRef } from '../plan/schema';

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i;

export function locatorFor(
  plan: Plan,
  target: Pick<WorkflowTarget, 'region' | 'ref' | 'label'>,
): WorkflowLocator {
  const region = plan[target.region];
  const ref: WorkflowRef = target.ref;
  if (typeof ref !== 'string') {
    return {
      subscriptionId: region.subscriptionId,
      resourceGroup: region.resourceGroup,
      site: ref.site,
      workflow: ref.workflow,
      label: target.label,
    };
  }
  const m = RESOURCE_ID.exec(ref);
  if (m) return { subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]!, label: target.label };
  return {
    subscriptionId: region.subscriptionId,
    resourceGroup: region.resourceGroup,
    name: ref,
    label: target.label,
  };
}
