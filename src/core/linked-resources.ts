/**
 * The resources a Consumption workflow references and that ARM authorizes separately when the workflow is PUT
 * (a rewrite of a split schedule PUTs it back whole): its API connections (`$connections`), the user-assigned
 * identities it runs as, and its integration account. Without join/assign on each, ARM answers 403
 * LinkedAuthorizationFailed. Shared by the deployment hook (which grants them) and `dr ready` (which says what
 * is missing).
 */

export interface LinkedResources {
  /** Microsoft.Web/connections ids: needs Microsoft.Web/connections/join/action. */
  connections: string[];
  /** Microsoft.ManagedIdentity/userAssignedIdentities ids: needs .../userAssignedIdentities/assign/action. */
  userAssignedIdentities: string[];
  /** Microsoft.Logic/integrationAccounts ids: needs Microsoft.Logic/integrationAccounts/join/action. */
  integrationAccounts: string[];
}

/** The ARM action checked on each kind of linked resource. */
export const LINKED_ACTIONS: Record<keyof LinkedResources, string> = {
  connections: 'Microsoft.Web/connections/join/action',
  userAssignedIdentities: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
  integrationAccounts: 'Microsoft.Logic/integrationAccounts/join/action',
};

export interface WorkflowLinks {
  parameters?: Record<string, unknown> | undefined;
  identity?: { userAssignedIdentities?: Record<string, unknown> | undefined } | undefined;
  integrationAccountId?: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const uniqueIds = (ids: string[]) => {
  const seen = new Map<string, string>();
  for (const id of ids) if (!seen.has(id.toLowerCase())) seen.set(id.toLowerCase(), id);
  return [...seen.values()];
};

/** What a workflow (as ARM returns it) links to: each id once, in the order found. */
export function linkedResourcesOf(w: WorkflowLinks): LinkedResources {
  const connectionsParam = w.parameters?.['$connections'];
  const value = isRecord(connectionsParam) ? connectionsParam['value'] : undefined;
  const connections = isRecord(value)
    ? Object.values(value).flatMap((c) =>
        isRecord(c) && typeof c['connectionId'] === 'string' && c['connectionId'].startsWith('/')
          ? [c['connectionId']]
          : [],
      )
    : [];
  return {
    connections: uniqueIds(connections),
    userAssignedIdentities: uniqueIds(Object.keys(w.identity?.userAssignedIdentities ?? {})),
    integrationAccounts: w.integrationAccountId ? [w.integrationAccountId] : [],
  };
}

export const hasLinkedResources = (l: LinkedResources): boolean =>
  l.connections.length + l.userAssignedIdentities.length + l.integrationAccounts.length > 0;

/** Every linked id with the action ARM checks on it. */
export function linkedGrantsNeeded(l: LinkedResources): { id: string; action: string }[] {
  return (Object.keys(LINKED_ACTIONS) as (keyof LinkedResources)[]).flatMap((kind) =>
    l[kind].map((id) => ({ id, action: LINKED_ACTIONS[kind] })),
  );
}
