/** From plan references to the adapter's locators: a name lives in its region's resource group. */
import type { WorkflowLocator } from '../adapters/logicapps/port';
import type { WorkflowTarget } from '../core/planner';
import { parseWorkflowId } from '../core/refs';
import type { Plan, WorkflowRef } from '../plan/schema';

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
  const id = parseWorkflowId(ref);
  if (id) return { ...id, label: target.label };
  return {
    subscriptionId: region.subscriptionId,
    resourceGroup: region.resourceGroup,
    name: ref,
    label: target.label,
  };
}
