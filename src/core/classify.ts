/**
 * Trigger classification: reads a workflow document (definition, ARM resource, ARM template or Standard
 * workflow.json) and says, per trigger, its kind, where its read state lives, and which roles the DR table in
 * roles.ts allows. Pure: callers read the files and hand in parsed JSON.
 *
 * State side decisions (see TRIGGER_RULES for the full table):
 * - Http polling trigger → client: the trigger keeps the `location` cursor the endpoint hands back (also in
 *   the 202 async pattern) in its own region's state. Declare `stateSide: server` in the plan when the endpoint
 *   itself hands each item out once.
 * - Service Bus, peek-lock or auto-complete → server: the broker locks or removes each delivered message, so
 *   two regions are competing consumers. Storage queues likewise (visibility timeout).
 * - Event Hubs → client: each reader keeps its own offset per partition and consumer group.
 * - Mailbox, file, list, blob-listing, RSS and SQL triggers → client: they remember a watermark or what they
 *   have seen.
 */
import { allowedRoles, type ClassifiedKind, type DrRuleName, type Role, type StateSide } from './roles';

export interface TriggerClassification {
  /** Trigger name in the definition. */
  name: string;
  /** The definition's `type` as written (e.g. "Recurrence", "ApiConnection"). */
  type: string;
  kind: ClassifiedKind;
  stateSide?: StateSide;
  /** Service Bus triggers only: whether the trigger receives from sessions. */
  sessions?: boolean;
  /** Managed API name ("office365", "servicebus") or service provider id as written, when known. */
  connector?: string;
  /** The trigger's recurrence object when present (Recurrence/SlidingWindow/polling). */
  recurrence?: unknown;
  allowedRoles: Role[];
  rule?: DrRuleName;
  /** Why this kind/stateSide, plus the roles verdict's reason. */
  reason: string;
}

export interface ClassifiedWorkflow {
  source: 'definition' | 'arm-resource' | 'arm-template' | 'standard-workflow';
  /** Resource name where known, as written (ARM expressions such as `[parameters('name')]` included). */
  workflow?: string;
  kind?: 'Stateful' | 'Stateless';
  triggers: TriggerClassification[];
}

/** The document is none of the accepted forms, or is malformed; the message names where and why. */
export class ClassificationInputError extends Error {
  override name = 'ClassificationInputError';
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const record = (value: unknown): Json => (isRecord(value) ? value : {});

/** What the rules look at, pulled out of one trigger's JSON. Keys used for matching are lower-case. */
interface TriggerFacts {
  name: string;
  type: string;
  typeKey: string;
  /** `kind` of a Request/Manual trigger, lower-case. */
  requestKind?: string;
  /** Managed API name for ApiConnection* triggers, or the service provider id as written. */
  connector?: string;
  connectorKey?: string;
  path: string;
  queries: Json;
  parameters: Json;
  operationId: string;
}

interface TriggerRule {
  when: (t: TriggerFacts) => boolean;
  kind: ClassifiedKind;
  stateSide?: StateSide;
  /** The managed API the rule recognised (by path), over whatever the connection reference is called. */
  connector?: string;
  /** Service Bus rules say whether the trigger uses sessions. */
  sessions?: (t: TriggerFacts) => boolean;
  because: (t: TriggerFacts) => string;
}

const typeIs =
  (...types: string[]) =>
  (t: TriggerFacts): boolean =>
    types.some((type) => type.toLowerCase() === t.typeKey);

const apiConnection = (test: (t: TriggerFacts) => boolean) => (t: TriggerFacts) =>
  t.typeKey === 'apiconnection' && test(t);

const connectorIs =
  (...names: string[]) =>
  (t: TriggerFacts): boolean =>
    t.connectorKey !== undefined && names.includes(t.connectorKey);

const serviceProvider =
  (...ids: string[]) =>
  (t: TriggerFacts): boolean =>
    t.typeKey === 'serviceprovider' && ids.some((id) => id.toLowerCase() === t.connectorKey);

// Service Bus managed connector paths: `/<queue>/messages/head`, `/<queue>/messages/batch/head/peek`,
// `/<topic>/subscriptions/<sub>/messages/head/peek`, ...
const SERVICE_BUS_PEEK_LOCK = /\/messages\/(?:batch\/)?(?:head\/)?peek$/i;
const SERVICE_BUS_AUTO_COMPLETE = /\/messages\/(?:batch\/)?head$/i;
// Event Hubs managed connector: `/<hub>/events/batch/head`.
const EVENT_HUBS_PATH = /\/events\/(?:batch\/)?head$/i;
// Storage queues managed connector: `/v2/storageAccounts/<acct>/queues/<q>/message_trigger`.
const STORAGE_QUEUE_PATH = /\/message_trigger$/i;

/** `sessionId` query: absent or "None" means no sessions; "Next available" or an id means sessions. */
const managedServiceBusSessions = (t: TriggerFacts): boolean => {
  const sessionId = str(t.queries['sessionId']);
  return sessionId !== undefined && sessionId.trim() !== '' && sessionId.trim().toLowerCase() !== 'none';
};

const builtInServiceBusSessions = (t: TriggerFacts): boolean => {
  const enabled = t.parameters['isSessionsEnabled'];
  return (
    enabled === true ||
    (typeof enabled === 'string' && enabled.toLowerCase() === 'true') ||
    /session/i.test(t.operationId)
  );
};

/** Polling connectors that remember what they have already seen in the trigger's own (regional) state. */
const CLIENT_STATE_CONNECTORS: Record<string, string> = {
  office365: 'Office 365 Outlook mailbox trigger remembers the newest mail it has seen',
  outlook: 'Outlook.com mailbox trigger remembers the newest mail it has seen',
  gmail: 'Gmail mailbox trigger remembers the newest mail it has seen',
  filesystem: 'file share trigger compares folder listings against the last one it saw',
  ftp: 'FTP trigger compares folder listings against the last one it saw',
  sftp: 'SFTP trigger compares folder listings against the last one it saw',
  sftpwithssh: 'SFTP trigger compares folder listings against the last one it saw',
  sharepointonline: 'SharePoint Online trigger keeps a created/modified watermark',
  onedrive: 'OneDrive trigger compares folder listings against the last one it saw',
  onedriveforbusiness: 'OneDrive for Business trigger compares folder listings against the last one it saw',
  dropbox: 'Dropbox trigger compares folder listings against the last one it saw',
  azureblob: 'Blob "when a blob is added or modified" trigger is list-based: it compares container listings',
  rss: 'RSS trigger remembers the newest feed item it has seen',
  sql: 'SQL "when an item is created/modified" trigger keeps an identity/rowversion watermark',
};

const UNKNOWN_HINT = 'the classifier cannot tell where it keeps its read state';

/** First match wins. Type names compare case-insensitively, as the Logic Apps engine does. */
const TRIGGER_RULES: readonly TriggerRule[] = [
  {
    when: typeIs('Recurrence', 'SlidingWindow'),
    kind: 'recurrence',
    because: (t) => `${t.type} trigger fires on its own schedule`,
  },
  {
    when: (t) => typeIs('Request', 'Manual')(t) && (t.requestKind === undefined || t.requestKind === 'http'),
    kind: 'request',
    because: (t) => `${t.type} trigger is an HTTP endpoint that callers invoke`,
  },
  {
    when: typeIs('HttpWebhook', 'ApiConnectionWebhook', 'ApiConnectionNotification'),
    kind: 'webhook',
    because: (t) => `${t.type} trigger registers a callback URL with ${t.connector ?? 'the remote service'}`,
  },
  {
    when: typeIs('Http'),
    kind: 'polling',
    stateSide: 'client',
    because: () =>
      'Http polling trigger keeps the cursor the endpoint returns (the location header, also in the 202 async ' +
      'pattern) in its own region; declare stateSide "server" if the endpoint itself hands out each item once',
  },
  {
    when: apiConnection((t) => SERVICE_BUS_PEEK_LOCK.test(t.path)),
    kind: 'polling',
    connector: 'servicebus',
    stateSide: 'server',
    sessions: managedServiceBusSessions,
    because: () => 'Service Bus peek-lock trigger: the broker locks each message it hands out',
  },
  {
    when: apiConnection((t) => SERVICE_BUS_AUTO_COMPLETE.test(t.path)),
    kind: 'polling',
    connector: 'servicebus',
    stateSide: 'server',
    sessions: managedServiceBusSessions,
    because: () => 'Service Bus auto-complete trigger: the broker removes each message as it delivers it',
  },
  {
    when: apiConnection(connectorIs('servicebus')),
    kind: 'polling',
    stateSide: 'server',
    sessions: managedServiceBusSessions,
    because: () => 'Service Bus trigger: the broker tracks delivery of each message',
  },
  {
    when: apiConnection((t) => connectorIs('eventhubs')(t) || EVENT_HUBS_PATH.test(t.path)),
    kind: 'polling',
    connector: 'eventhubs',
    stateSide: 'client',
    because: () => 'Event Hubs trigger keeps its own offset per partition and consumer group',
  },
  {
    when: apiConnection((t) => connectorIs('azurequeues')(t) || STORAGE_QUEUE_PATH.test(t.path)),
    kind: 'polling',
    connector: 'azurequeues',
    stateSide: 'server',
    because: () => 'Storage queue trigger: the service hides each dequeued message (visibility timeout)',
  },
  {
    when: apiConnection(connectorIs(...Object.keys(CLIENT_STATE_CONNECTORS))),
    kind: 'polling',
    stateSide: 'client',
    because: (t) => CLIENT_STATE_CONNECTORS[t.connectorKey ?? ''] ?? 'connector keeps client-side state',
  },
  {
    when: typeIs('ApiConnection'),
    kind: 'polling',
    because: (t) =>
      t.connector === undefined
        ? `ApiConnection trigger names no connection this classifier can resolve, so ${UNKNOWN_HINT}`
        : `connector "${t.connector}" is not in the classifier's table, so ${UNKNOWN_HINT}`,
  },
  {
    when: serviceProvider('/serviceProviders/serviceBus'),
    kind: 'polling',
    stateSide: 'server',
    sessions: builtInServiceBusSessions,
    because: () =>
      'built-in Service Bus trigger is push-based but consumes from the broker, which tracks delivery',
  },
  {
    when: serviceProvider('/serviceProviders/AzureQueues'),
    kind: 'polling',
    stateSide: 'server',
    because: () =>
      'built-in Storage queue trigger: the service hides each dequeued message (visibility timeout)',
  },
  {
    when: serviceProvider('/serviceProviders/AzureBlob'),
    kind: 'polling',
    stateSide: 'client',
    because: () => 'built-in Blob trigger remembers which blobs it has already seen',
  },
  {
    when: serviceProvider('/serviceProviders/eventHub', '/serviceProviders/eventHubs'),
    kind: 'polling',
    stateSide: 'client',
    because: () => 'built-in Event Hubs trigger checkpoints its own offset per partition and consumer group',
  },
  {
    when: serviceProvider('/serviceProviders/sql'),
    kind: 'polling',
    stateSide: 'client',
    because: () => 'built-in SQL trigger keeps its own change-tracking position',
  },
  {
    when: typeIs('ServiceProvider'),
    kind: 'unknown',
    because: (t) =>
      t.connector === undefined
        ? 'ServiceProvider trigger has no serviceProviderConfiguration.serviceProviderId'
        : `service provider "${t.connector}" is not in the classifier's table`,
  },
  {
    when: typeIs('Request', 'Manual'),
    kind: 'unknown',
    because: (t) => `${t.type} trigger of kind "${t.requestKind ?? ''}" is not a plain HTTP endpoint`,
  },
  {
    when: () => true,
    kind: 'unknown',
    because: (t) => `trigger type "${t.type}" is not in the classifier's table`,
  },
];

/** `@parameters('$connections')['office365']['connectionId']` → office365 */
const CONNECTION_REFERENCE = /\[\s*'([^']+)'\s*\]\s*\[\s*'connectionId'\s*\]/;
/** Legacy `host.api.runtimeUrl`: `https://logic-apis-westeurope.azure-apim.net/apim/office365` */
const APIM_RUNTIME_URL = /\/apim\/([^/?#]+)/i;

/**
 * The managed API name in a connection id: `/subscriptions/…/managedApis/office365`, or the ARM expressions
 * `concat(…, '/managedApis/office365')`, `concat(…, '/managedApis/', 'office365')` and
 * `subscriptionResourceId('Microsoft.Web/locations/managedApis', parameters('location'), 'office365')`.
 */
function apiNameFromId(id: string): string | undefined {
  const m =
    /managedApis\/(?:'\s*,\s*')?([\w.-]+)/i.exec(id) ??
    /managedApis'\s*,.*'([\w.-]+)'\s*\)\s*\]?\s*$/i.exec(id);
  return m?.[1]?.toLowerCase();
}

/** Connection references are often suffixed when a workflow has two of a kind: `servicebus_1`, `sql-2`. */
const stripReferenceSuffix = (reference: string): string => reference.toLowerCase().replace(/[-_]\d+$/, '');

/** `$connections` entries (reference → managed API name) from a parameters object. */
function connectionApis(parameters: unknown, valueKey: 'value' | 'defaultValue'): Map<string, string> {
  const apis = new Map<string, string>();
  const entries = record(record(record(parameters)['$connections'])[valueKey]);
  for (const [reference, entry] of Object.entries(entries)) {
    const e = record(entry);
    const id = str(e['id']) ?? str(record(e['api'])['id']);
    const api = id === undefined ? undefined : apiNameFromId(id);
    if (api !== undefined) apis.set(reference, api);
  }
  return apis;
}

function managedConnector(inputs: Json, apis: ReadonlyMap<string, string>): string | undefined {
  const host = record(inputs['host']);
  const connection = record(host['connection']);
  const reference =
    CONNECTION_REFERENCE.exec(str(connection['name']) ?? '')?.[1] ?? str(connection['referenceName']);
  if (reference !== undefined) return apis.get(reference) ?? stripReferenceSuffix(reference);
  const runtime = APIM_RUNTIME_URL.exec(str(record(host['api'])['runtimeUrl']) ?? '')?.[1];
  return runtime?.toLowerCase();
}

function factsOf(name: string, trigger: Json, type: string, apis: ReadonlyMap<string, string>): TriggerFacts {
  const inputs = record(trigger['inputs']);
  const providerConfig = record(inputs['serviceProviderConfiguration']);
  const typeKey = type.toLowerCase();
  const connector =
    typeKey === 'serviceprovider'
      ? str(providerConfig['serviceProviderId'])
      : typeKey.startsWith('apiconnection')
        ? managedConnector(inputs, apis)
        : undefined;
  const path = str(inputs['path']) ?? str(record(record(inputs['fetch'])['pathTemplate'])['template']) ?? '';
  const requestKind = str(trigger['kind'])?.toLowerCase();
  return {
    name,
    type,
    typeKey,
    ...(requestKind !== undefined && { requestKind }),
    ...(connector !== undefined && { connector, connectorKey: connector.toLowerCase() }),
    path,
    queries: record(inputs['queries']),
    parameters: record(inputs['parameters']),
    operationId: str(providerConfig['operationId']) ?? '',
  };
}

function classifyTrigger(name: string, trigger: unknown, where: string, apis: ReadonlyMap<string, string>) {
  if (!isRecord(trigger)) {
    throw new ClassificationInputError(
      where,
      `triggers.${name} is ${describe(trigger)}, not a trigger object`,
    );
  }
  const type = str(trigger['type']);
  if (type === undefined || type.trim() === '') {
    throw new ClassificationInputError(where, `triggers.${name} has no "type" string`);
  }
  const facts = factsOf(name, trigger, type, apis);
  // The last row matches everything, so a rule is always found.
  const rule = TRIGGER_RULES.find((r) => r.when(facts)) ?? TRIGGER_RULES[TRIGGER_RULES.length - 1]!;
  const sessions = rule.sessions?.(facts);
  const connector = rule.connector ?? facts.connector;
  const verdict = allowedRoles({ kind: rule.kind, stateSide: rule.stateSide, sessions });
  const result: TriggerClassification = {
    name,
    type,
    kind: rule.kind,
    ...(rule.stateSide !== undefined && { stateSide: rule.stateSide }),
    ...(sessions !== undefined && { sessions }),
    ...(connector !== undefined && { connector }),
    ...('recurrence' in trigger && { recurrence: trigger['recurrence'] }),
    allowedRoles: [...verdict.allowed],
    ...(verdict.rule !== undefined && { rule: verdict.rule }),
    reason: `${rule.because(facts)}; ${verdict.reason}`,
  };
  return result;
}

function classifyWithConnections(
  definition: unknown,
  where: string,
  resourceApis: ReadonlyMap<string, string>,
): TriggerClassification[] {
  if (!isRecord(definition)) {
    throw new ClassificationInputError(
      where,
      `the workflow definition is ${describe(definition)}, not an object`,
    );
  }
  const triggers = definition['triggers'];
  if (triggers === undefined) return [];
  if (!isRecord(triggers)) {
    throw new ClassificationInputError(
      where,
      `"triggers" is ${describe(triggers)}; expected an object keyed by trigger name`,
    );
  }
  // Values on the resource (deployed connections) win over the definition's own defaults.
  const apis = new Map([...connectionApis(definition['parameters'], 'defaultValue'), ...resourceApis]);
  return Object.entries(triggers).map(([name, trigger]) => classifyTrigger(name, trigger, where, apis));
}

/** Classifies every trigger of a bare workflow definition (`{ triggers, actions, ... }`). */
export function classifyDefinition(definition: unknown, where = 'definition'): TriggerClassification[] {
  return classifyWithConnections(definition, where, new Map());
}

/**
 * A deployed workflow as ARM returns it: its definition plus `parameters` (whose `$connections` values name the
 * managed APIs actually connected, which win over the definition's defaults).
 */
export function classifyDeployed(
  definition: unknown,
  parameters: unknown,
  where = 'workflow',
): TriggerClassification[] {
  return classifyWithConnections(definition, where, connectionApis(parameters, 'value'));
}

const WORKFLOW_TYPE = 'microsoft.logic/workflows';
const DEPLOYMENT_TYPE = 'microsoft.resources/deployments';
const typeKeyOf = (resource: Json): string | undefined => str(resource['type'])?.toLowerCase();

/** An ARM workflow resource; `az logic workflow show` flattens `properties`, so accept both. */
function fromWorkflowResource(
  resource: Json,
  where: string,
  source: 'arm-resource' | 'arm-template',
): ClassifiedWorkflow {
  const properties = record(resource['properties']);
  const definition = 'definition' in properties ? properties['definition'] : resource['definition'];
  const name = str(resource['name']);
  const at = name === undefined ? where : `${where} (workflow ${name})`;
  if (definition === undefined) {
    throw new ClassificationInputError(
      at,
      'the Microsoft.Logic/workflows resource has no properties.definition',
    );
  }
  if (typeof definition === 'string') {
    throw new ClassificationInputError(
      at,
      `properties.definition is the expression ${definition}; classify the definition file it refers to instead`,
    );
  }
  const apis = connectionApis(
    'parameters' in properties ? properties['parameters'] : resource['parameters'],
    'value',
  );
  return {
    source,
    ...(name !== undefined && { workflow: name }),
    triggers: classifyWithConnections(definition, at, apis),
  };
}

/** ARM `resources`: an array, or an object keyed by symbolic name (languageVersion 2.0 / Bicep output). */
const resourceList = (resources: unknown): unknown[] =>
  Array.isArray(resources) ? resources : isRecord(resources) ? Object.values(resources) : [];

function templateWorkflows(template: Json, where: string): ClassifiedWorkflow[] {
  const found: ClassifiedWorkflow[] = [];
  const visit = (resources: unknown): void => {
    for (const resource of resourceList(resources)) {
      if (!isRecord(resource)) continue;
      const type = typeKeyOf(resource);
      if (type === WORKFLOW_TYPE) found.push(fromWorkflowResource(resource, where, 'arm-template'));
      if (type === DEPLOYMENT_TYPE) visit(record(record(resource['properties'])['template'])['resources']);
      visit(resource['resources']);
    }
  };
  visit(template['resources']);
  return found;
}

function fromStandardWorkflow(doc: Json, where: string): ClassifiedWorkflow {
  const kind = doc['kind'];
  let normalised: 'Stateful' | 'Stateless' | undefined;
  if (typeof kind === 'string' && /^stateful$/i.test(kind)) normalised = 'Stateful';
  else if (typeof kind === 'string' && /^stateless$/i.test(kind)) normalised = 'Stateless';
  else if (kind !== undefined) {
    throw new ClassificationInputError(
      where,
      `workflow.json "kind" is ${JSON.stringify(kind)}; expected "Stateful" or "Stateless"`,
    );
  }
  return {
    source: 'standard-workflow',
    ...(normalised !== undefined && { kind: normalised }),
    triggers: classifyWithConnections(doc['definition'], where, new Map()),
  };
}

const looksLikeDefinition = (doc: Json): boolean =>
  'triggers' in doc || 'actions' in doc || /workflowdefinition\.json/i.test(str(doc['$schema']) ?? '');

/**
 * Detects the form of `doc` and classifies every workflow in it: a bare definition, an ARM workflow resource,
 * an ARM template (every workflow, nested deployments included) or a Logic Apps Standard workflow.json.
 */
export function classifyDocument(doc: unknown, where = 'document'): ClassifiedWorkflow[] {
  if (!isRecord(doc)) {
    throw new ClassificationInputError(
      where,
      `expected a JSON object holding a workflow, got ${describe(doc)}`,
    );
  }
  const type = typeKeyOf(doc);
  if (type === WORKFLOW_TYPE) return [fromWorkflowResource(doc, where, 'arm-resource')];
  if ('resources' in doc) {
    const workflows = templateWorkflows(doc, where);
    if (workflows.length === 0) {
      throw new ClassificationInputError(where, 'the ARM template has no Microsoft.Logic/workflows resource');
    }
    return workflows;
  }
  if (type !== undefined && 'properties' in doc) {
    throw new ClassificationInputError(
      where,
      `is a ${str(doc['type'])} resource, not Microsoft.Logic/workflows`,
    );
  }
  if ('definition' in doc) return [fromStandardWorkflow(doc, where)];
  if (looksLikeDefinition(doc)) return [{ source: 'definition', triggers: classifyDefinition(doc, where) }];
  const keys = Object.keys(doc).slice(0, 8).join(', ') || 'none';
  throw new ClassificationInputError(
    where,
    'not a workflow: expected a definition ("triggers"/"actions"), an ARM resource of type ' +
      'Microsoft.Logic/workflows, an ARM template ("resources") or a Standard workflow.json ("definition", ' +
      `"kind"); top-level keys: ${keys}`,
  );
}
