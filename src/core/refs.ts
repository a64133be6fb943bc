/**
 * Workflow references and target keys, in one place: how a plan names a workflow (a name in its region's
 * resource group, a full resource id, or a Standard site and workflow), and the keys that identify it.
 */
import type { Region, WorkflowRef } from '../plan/schema';

/** The only resource id the adapters can address: a consumption workflow. */
export const WORKFLOW_RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)$/i;

export interface WorkflowId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** The parts of a consumption workflow's resource id, or undefined when `ref` is not one. */
export function parseWorkflowId(ref: string): WorkflowId | undefined {
  const m = WORKFLOW_RESOURCE_ID.exec(ref);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]! } : undefined;
}

/** A stable identity for a reference within a region, to catch the same workflow claimed twice. */
export function refKey(ref: WorkflowRef, region: Region): string {
  if (typeof ref !== 'string')
    return `${region.subscriptionId}/${region.resourceGroup}/sites/${ref.site}/${ref.workflow}`.toLowerCase();
  if (ref.startsWith('/')) {
    const id = parseWorkflowId(ref);
    return (id ? `${id.subscriptionId}/${id.resourceGroup}/${id.name}` : ref).toLowerCase();
  }
  return `${region.subscriptionId}/${region.resourceGroup}/${ref}`.toLowerCase();
}

/** The short name a label shows: the workflow's name, or site/workflow for Standard. */
export const refName = (ref: WorkflowRef): string =>
  typeof ref === 'string' ? (ref.split('/').pop() ?? ref) : `${ref.site}/${ref.workflow}`;

/** One workflow in one plan region, as maps and sets key it (observations, pending fences, preflight). */
export const targetKey = (t: { region: string; key: string }): string => `${t.region}:${t.key}`;
