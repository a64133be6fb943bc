import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ClassificationInputError,
  classifyDefinition,
  classifyDeployed,
  classifyDocument,
  type ClassifiedWorkflow,
  type TriggerClassification,
} from '../../src/core/classify';
import { allowedRoles, type ClassifiedKind, type Role, type StateSide } from '../../src/core/roles';

const FIXTURES = join(__dirname, '..', 'fixtures', 'definitions');
const load = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
const classifyFixture = (file: string) => classifyDocument(load(file), file);

const AP: Role[] = ['active-passive'];
const AA_AP: Role[] = ['active-active', 'active-passive'];
const AP_SPLIT: Role[] = ['active-passive', 'split-recurrence'];

interface Expected {
  name: string;
  kind: ClassifiedKind;
  stateSide?: StateSide;
  sessions?: boolean;
  connector?: string;
  roles: Role[];
}
const t = (
  name: string,
  kind: ClassifiedKind,
  roles: Role[],
  more: Omit<Expected, 'name' | 'kind' | 'roles'> = {},
): Expected => ({ name, kind, roles, ...more });

/** A polling trigger whose connector keeps its cursor on the client side: active-passive only. */
const clientPolling = (name: string, connector: string): Expected =>
  t(name, 'polling', AP, { stateSide: 'client', connector });
/** A polling trigger on a broker that keeps the state (server side): either role; `sessions` where known. */
const serverPolling = (name: string, connector: string, sessions?: boolean): Expected =>
  t(name, 'polling', AA_AP, { stateSide: 'server', ...(sessions !== undefined && { sessions }), connector });

interface ExpectedWorkflow {
  source: ClassifiedWorkflow['source'];
  workflow?: string;
  kind?: 'Stateful' | 'Stateless';
  triggers: Expected[];
}
const def = (...triggers: Expected[]): ExpectedWorkflow[] => [{ source: 'definition', triggers }];
const std = (kind: 'Stateful' | 'Stateless', ...triggers: Expected[]): ExpectedWorkflow[] => [
  { source: 'standard-workflow', kind, triggers },
];
/** One workflow of an ARM resource (or `az` output) or of an ARM template, named as the document names it. */
const fromArm =
  (source: 'arm-resource' | 'arm-template') =>
  (workflow: string, ...triggers: Expected[]): ExpectedWorkflow => ({ source, workflow, triggers });
const armResource = fromArm('arm-resource');
const armTemplate = fromArm('arm-template');

/** Every fixture that classifies, with what an operator should see for each of its triggers. */
const TABLE: Record<string, ExpectedWorkflow[]> = {
  'recurrence-daily-report.json': def(t('Recurrence', 'recurrence', AP_SPLIT)),
  'sliding-window-hourly.json': def(t('Sliding_Window', 'recurrence', AP_SPLIT)),
  'request-order-intake.json': def(t('manual', 'request', AA_AP)),
  'manual-legacy-http.json': def(t('manual', 'request', AA_AP)),
  'http-polling-job-status.json': def(t('HTTP', 'polling', AP, { stateSide: 'client' })),
  'office365-new-email-v2.json': def(clientPolling('When_a_new_email_arrives_(V2)', 'office365')),
  'office365-new-email-v3-notification.json': def(
    t('When_a_new_email_arrives_(V3)', 'webhook', AP, { connector: 'office365' }),
  ),
  'gmail-new-email.json': def(clientPolling('When_a_new_email_arrives', 'gmail')),
  'filesystem-new-file.json': def(clientPolling('When_a_file_is_created_(properties_only)', 'filesystem')),
  'sftp-new-file.json': def(
    clientPolling('When_a_file_is_added_or_modified_(properties_only)', 'sftpwithssh'),
  ),
  'sharepoint-item-created.json': def(clientPolling('When_an_item_is_created', 'sharepointonline')),
  'onedrive-business-file-created.json': def(clientPolling('When_a_file_is_created', 'onedriveforbusiness')),
  'dropbox-file-created.json': def(clientPolling('When_a_file_is_created', 'dropbox')),
  'blob-added-or-modified.json': def(
    clientPolling('When_a_blob_is_added_or_modified_(properties_only)_(V2)', 'azureblob'),
  ),
  'rss-new-feed-item.json': def(clientPolling('When_a_feed_item_is_published', 'rss')),
  'sql-item-created-v2.json': def(clientPolling('When_an_item_is_created_(V2)', 'sql')),
  'servicebus-queue-peek-lock.json': def(
    serverPolling('When_a_message_is_received_in_a_queue_(peek-lock)', 'servicebus', false),
  ),
  'servicebus-topic-peek-lock-sessions.json': def(
    serverPolling('When_a_message_is_received_in_a_topic_subscription_(peek-lock)', 'servicebus', true),
  ),
  // The connection reference is named freely ("orders-bus"): the path alone identifies Service Bus.
  'servicebus-queue-auto-complete.json': def(
    serverPolling('When_a_message_is_received_in_a_queue_(auto-complete)', 'servicebus', false),
  ),
  // "servicebus_1": the designer's suffix for a second connection is stripped.
  'servicebus-batch-peek-lock.json': def(
    serverPolling('When_one_or_more_messages_arrive_in_a_queue_(peek-lock)', 'servicebus', false),
  ),
  'azurequeues-message.json': def(serverPolling('When_there_are_messages_in_a_queue_(V2)', 'azurequeues')),
  'eventhubs-events.json': def(clientPolling('When_events_are_available_in_Event_Hub', 'eventhubs')),
  'httpwebhook-subscribe.json': def(t('HTTP_Webhook', 'webhook', AP)),
  'eventgrid-resource-event.json': def(
    t('When_a_resource_event_occurs', 'webhook', AP, { connector: 'azureeventgrid' }),
  ),
  'salesforce-record-created.json': def(
    t('When_a_record_is_created', 'polling', AP, { connector: 'salesforce' }),
  ),
  'batch-receiver.json': def(t('Batch_messages', 'unknown', [])),
  'request-and-recurrence.json': def(t('manual', 'request', AA_AP), t('Nightly', 'recurrence', AP_SPLIT)),
  'actions-only-no-triggers.json': def(),
  // "mailbox" resolves to office365 only through the resource's $connections value.
  'arm-resource-shared-mailbox.json': [
    armResource(
      'la-support-mailbox-weu',
      clientPolling('When_a_new_email_arrives_in_a_shared_mailbox_(V2)', 'office365'),
    ),
  ],
  'az-cli-workflow-show-files.json': [
    armResource(
      'la-edi-inbound-neu',
      clientPolling('When_a_file_is_added_or_modified_(properties_only)', 'filesystem'),
    ),
  ],
  'arm-template-orders.json': [
    armTemplate("[parameters('intakeWorkflowName')]", t('manual', 'request', AA_AP)),
    armTemplate("[parameters('syncWorkflowName')]", clientPolling('When_an_item_is_modified_(V2)', 'sql')),
  ],
  'arm-template-nested-deployment.json': [
    armTemplate(
      "[parameters('workflowName')]",
      serverPolling('When_a_message_is_received_in_a_queue_(peek-lock)', 'servicebus', false),
    ),
  ],
  'arm-template-symbolic-names.json': [
    armTemplate(
      "[format('{0}-statement-poller', parameters('prefix'))]",
      clientPolling('When_a_file_is_added_or_modified', 'ftp'),
    ),
    armTemplate("[format('{0}-notifier', parameters('prefix'))]", t('manual', 'request', AA_AP)),
  ],
  'standard-servicebus-sessions.workflow.json': std(
    'Stateful',
    serverPolling('When_messages_are_available_in_a_queue_(peek-lock)', '/serviceProviders/serviceBus', true),
  ),
  'standard-servicebus-topic.workflow.json': std(
    'Stateless',
    serverPolling('When_messages_are_available_in_a_topic', '/serviceProviders/serviceBus', false),
  ),
  'standard-blob-added.workflow.json': std(
    'Stateful',
    clientPolling('When_a_blob_is_added_or_updated', '/serviceProviders/AzureBlob'),
  ),
  'standard-eventhub.workflow.json': std(
    'Stateless',
    clientPolling('When_events_are_available_in_Event_Hub', '/serviceProviders/eventHub'),
  ),
  'standard-azurequeues.workflow.json': std(
    'Stateful',
    serverPolling('When_messages_are_available_in_a_queue', '/serviceProviders/azurequeues'),
  ),
  'standard-request-stateless.workflow.json': std(
    'Stateless',
    t('When_a_HTTP_request_is_received', 'request', AA_AP),
  ),
  'standard-managed-office365.workflow.json': std(
    'Stateful',
    clientPolling('When_a_new_email_arrives_(V2)', 'office365'),
  ),
  'standard-ibmmq.workflow.json': std(
    'Stateful',
    t('When_a_message_is_available_in_a_queue', 'unknown', [], { connector: '/serviceProviders/mq' }),
  ),
};

/** Fixtures that are not workflows at all, with the part of the error message that says why. */
const REJECTED: Record<string, RegExp> = {
  'arm-template-storage-only.json':
    /arm-template-storage-only\.json: the ARM template has no Microsoft\.Logic\/workflows/,
};

const project = (c: TriggerClassification): Expected => ({
  name: c.name,
  kind: c.kind,
  roles: c.allowedRoles,
  ...(c.stateSide !== undefined && { stateSide: c.stateSide }),
  ...(c.sessions !== undefined && { sessions: c.sessions }),
  ...(c.connector !== undefined && { connector: c.connector }),
});

const everyClassification = (): [string, TriggerClassification][] =>
  Object.keys(TABLE).flatMap((file) =>
    classifyFixture(file).flatMap((w) => w.triggers.map((c): [string, TriggerClassification] => [file, c])),
  );

describe('trigger classification of realistic workflow documents', () => {
  it.each(Object.entries(TABLE))('%s', (file, expected) => {
    const workflows = classifyFixture(file);
    expect(
      workflows.map((w) => ({
        source: w.source,
        ...(w.workflow !== undefined && { workflow: w.workflow }),
        ...(w.kind !== undefined && { kind: w.kind }),
        triggers: w.triggers.map(project),
      })),
    ).toEqual(expected);
  });

  it('covers every fixture file (none is silently skipped)', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(files.filter((f) => !(f in TABLE) && !(f in REJECTED))).toEqual([]);
  });

  it.each(Object.entries(REJECTED))('rejects %s with a message naming the file', (file, message) => {
    expect(() => classifyFixture(file)).toThrow(ClassificationInputError);
    expect(() => classifyFixture(file)).toThrow(message);
  });

  it('gives every classification exactly the roles, rule and reason of the DR table in roles.ts', () => {
    const all = everyClassification();
    expect(all.length).toBeGreaterThanOrEqual(40);
    for (const [file, c] of all) {
      const verdict = allowedRoles({ kind: c.kind, stateSide: c.stateSide, sessions: c.sessions });
      expect(c.allowedRoles, `${file} ${c.name}`).toEqual(verdict.allowed);
      expect(c.rule, `${file} ${c.name}`).toBe(verdict.rule);
      expect(c.reason.endsWith(`; ${verdict.reason}`), `${file} ${c.name}: ${c.reason}`).toBe(true);
      // The part before the verdict says why this kind / state side, so it is never empty.
      expect(c.reason.length).toBeGreaterThan(verdict.reason.length + 10);
    }
  });

  it('passes the recurrence object through as written', () => {
    const [wf] = classifyFixture('recurrence-daily-report.json');
    expect(wf!.triggers[0]!.recurrence).toEqual({
      frequency: 'Day',
      interval: 1,
      schedule: { hours: ['6'], minutes: [30] },
      timeZone: 'W. Europe Standard Time',
    });
    const [polling] = classifyFixture('servicebus-queue-peek-lock.json');
    expect(polling!.triggers[0]!.recurrence).toEqual({ frequency: 'Minute', interval: 3 });
    const [request] = classifyFixture('request-order-intake.json');
    expect(request!.triggers[0]).not.toHaveProperty('recurrence');
  });

  it('explains the Http polling decision and how to override it', () => {
    const [wf] = classifyFixture('http-polling-job-status.json');
    expect(wf!.triggers[0]!.reason).toMatch(/location header.*202 async.*declare stateSide "server"/);
  });

  it('tells the user to declare the trigger in the plan for unknown shapes', () => {
    for (const file of ['batch-receiver.json', 'standard-ibmmq.workflow.json']) {
      const c = classifyFixture(file)[0]!.triggers[0]!;
      expect(c.rule).toBe('unknown-trigger');
      expect(c.reason).toMatch(
        /not in the classifier's table.*declare `trigger` \(and `stateSide` for polling\) in the plan/,
      );
    }
    const salesforce = classifyFixture('salesforce-record-created.json')[0]!.triggers[0]!;
    expect(salesforce.rule).toBe('polling-needs-state-side');
    expect(salesforce.reason).toMatch(
      /connector "salesforce" is not in the classifier's table.*declare stateSide/,
    );
  });
});

describe('classifyDefinition', () => {
  const trigger = (body: Record<string, unknown>) =>
    classifyDefinition({ triggers: { T: body }, actions: {} })[0]!;

  it('returns an empty list for a definition without triggers', () => {
    expect(classifyDefinition({ actions: {} })).toEqual([]);
    expect(classifyDefinition({ triggers: {}, actions: {} })).toEqual([]);
  });

  it('compares trigger types case-insensitively, as the engine does, and reports them as written', () => {
    const c = trigger({ type: 'recurrence', recurrence: { frequency: 'Hour', interval: 1 } });
    expect(c).toMatchObject({ type: 'recurrence', kind: 'recurrence' });
  });

  it('treats Request without kind as a request and Request of another kind as unknown', () => {
    expect(trigger({ type: 'Request', inputs: { schema: {} } }).kind).toBe('request');
    const button = trigger({ type: 'Request', kind: 'Button', inputs: {} });
    expect(button.kind).toBe('unknown');
    expect(button.reason).toMatch(/kind "button" is not a plain HTTP endpoint/);
  });

  it('reads Service Bus sessions from the sessionId query', () => {
    const sb = (sessionId?: string) =>
      trigger({
        type: 'ApiConnection',
        inputs: {
          host: { connection: { name: "@parameters('$connections')['servicebus']['connectionId']" } },
          method: 'get',
          path: "/@{encodeURIComponent(encodeURIComponent('q'))}/messages/head/peek",
          queries: sessionId === undefined ? { queueType: 'Main' } : { queueType: 'Main', sessionId },
        },
        recurrence: { frequency: 'Minute', interval: 1 },
      });
    expect(sb().sessions).toBe(false);
    expect(sb('None').sessions).toBe(false);
    expect(sb('Next available').sessions).toBe(true);
    expect(sb('customer-42').sessions).toBe(true);
    expect(sb('customer-42')).not.toHaveProperty('ordered');
  });

  it('classifies a Service Bus connection with an unrecognised path as server-side', () => {
    const c = trigger({
      type: 'ApiConnection',
      inputs: {
        host: { connection: { name: "@parameters('$connections')['servicebus-2']['connectionId']" } },
        path: '/x',
      },
      recurrence: { frequency: 'Minute', interval: 1 },
    });
    expect(c).toMatchObject({ kind: 'polling', stateSide: 'server', connector: 'servicebus' });
  });

  it('falls back to the legacy host.api.runtimeUrl for the connector', () => {
    const c = trigger({
      type: 'ApiConnection',
      inputs: {
        host: {
          api: { runtimeUrl: 'https://logic-apis-westeurope.azure-apim.net/apim/dropbox' },
          connection: {},
        },
        path: '/datasets/default/triggers/onnewfile',
      },
      recurrence: { frequency: 'Minute', interval: 3 },
    });
    expect(c).toMatchObject({ kind: 'polling', stateSide: 'client', connector: 'dropbox' });
  });

  it('uses the definition default $connections when no resource values are given', () => {
    const [c] = classifyDefinition({
      parameters: {
        $connections: {
          type: 'Object',
          defaultValue: {
            inbox: {
              id: '/subscriptions/x/providers/Microsoft.Web/locations/westeurope/managedApis/outlook',
            },
          },
        },
      },
      triggers: {
        T: {
          type: 'ApiConnection',
          inputs: { host: { connection: { name: "@parameters('$connections')['inbox']['connectionId']" } } },
          recurrence: { frequency: 'Minute', interval: 3 },
        },
      },
    });
    expect(c).toMatchObject({ connector: 'outlook', stateSide: 'client' });
  });

  it('classifies a deployed workflow by its resource $connections, as ARM returns it', () => {
    // The reference name says nothing; the connected managed API (parameters.$connections.value) does.
    const definition = {
      triggers: {
        T: {
          type: 'ApiConnection',
          inputs: { host: { connection: { name: "@parameters('$connections')['conn']['connectionId']" } } },
          recurrence: { frequency: 'Minute', interval: 1 },
        },
      },
    };
    const api = (name: string) => ({
      $connections: {
        value: {
          conn: { id: `/subscriptions/x/providers/Microsoft.Web/locations/northeurope/managedApis/${name}` },
        },
      },
    });
    expect(classifyDeployed(definition, api('servicebus'), 'secondary:q')[0]).toMatchObject({
      connector: 'servicebus',
      stateSide: 'server',
    });
    expect(classifyDeployed(definition, api('office365'))[0]).toMatchObject({ stateSide: 'client' });
    expect(() => classifyDeployed("[parameters('def')]", undefined, 'secondary:q')).toThrow(
      /^secondary:q: the workflow definition is/,
    );
  });

  it('classifies the built-in SQL trigger as client and an unknown ServiceProvider as unknown', () => {
    const sp = (serviceProviderId?: string) =>
      trigger({
        type: 'ServiceProvider',
        inputs: {
          parameters: {},
          serviceProviderConfiguration: { connectionName: 'c', operationId: 'op', serviceProviderId },
        },
      });
    expect(sp('/serviceProviders/sql')).toMatchObject({ kind: 'polling', stateSide: 'client' });
    expect(sp(undefined).kind).toBe('unknown');
    expect(sp(undefined).reason).toMatch(/no serviceProviderConfiguration\.serviceProviderId/);
  });

  it('rejects malformed definitions, naming where and what', () => {
    expect(() => classifyDefinition([], 'wf.json')).toThrow(
      'wf.json: the workflow definition is an array, not an object',
    );
    expect(() => classifyDefinition({ triggers: [] }, 'wf.json')).toThrow(
      'wf.json: "triggers" is an array; expected an object keyed by trigger name',
    );
    expect(() => classifyDefinition({ triggers: { T: null } }, 'wf.json')).toThrow(
      'wf.json: triggers.T is null, not a trigger object',
    );
    expect(() => classifyDefinition({ triggers: { T: { inputs: {} } } }, 'wf.json')).toThrow(
      'wf.json: triggers.T has no "type" string',
    );
  });
});

describe('classifyDocument form detection', () => {
  const definition = { triggers: { manual: { type: 'Request', kind: 'Http' } }, actions: {} };

  it('walks nested resources arrays in ARM templates', () => {
    const template = {
      resources: [
        {
          type: 'Microsoft.Web/serverfarms',
          name: 'plan',
          resources: [{ type: 'Microsoft.Logic/workflows', name: 'inner', properties: { definition } }],
        },
      ],
    };
    expect(classifyDocument(template).map((w) => [w.source, w.workflow])).toEqual([
      ['arm-template', 'inner'],
    ]);
  });

  it('accepts workflow.json kinds in any case and a workflow.json without kind', () => {
    expect(classifyDocument({ definition, kind: 'stateless' })[0]!.kind).toBe('Stateless');
    const noKind = classifyDocument({ definition })[0]!;
    expect(noKind.source).toBe('standard-workflow');
    expect(noKind).not.toHaveProperty('kind');
  });

  it('recognises a bare definition by $schema even when it has no triggers or actions', () => {
    const doc = {
      $schema:
        'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
      contentVersion: '1.0.0.0',
    };
    expect(classifyDocument(doc)).toEqual([{ source: 'definition', triggers: [] }]);
  });

  it.each([
    ['a string', 'hello', /^x\.json: expected a JSON object holding a workflow, got a string$/],
    ['an array', [definition], /^x\.json: expected a JSON object holding a workflow, got an array$/],
    [
      'a plan',
      { primary: {}, workflows: [] },
      /^x\.json: not a workflow: .*top-level keys: primary, workflows$/,
    ],
    [
      'another resource type',
      { type: 'Microsoft.Web/sites', properties: { definition } },
      /^x\.json: is a Microsoft\.Web\/sites resource, not Microsoft\.Logic\/workflows$/,
    ],
    [
      'a workflow resource without definition',
      { type: 'Microsoft.Logic/workflows', name: 'wf', properties: {} },
      /^x\.json \(workflow wf\): the Microsoft\.Logic\/workflows resource has no properties\.definition$/,
    ],
    [
      'a template whose definition is an expression',
      {
        resources: [
          { type: 'Microsoft.Logic/workflows', name: 'wf', properties: { definition: "[variables('d')]" } },
        ],
      },
      /^x\.json \(workflow wf\): properties\.definition is the expression \[variables\('d'\)\]/,
    ],
    [
      'a workflow.json of another kind',
      { definition, kind: 'Agent' },
      /^x\.json: workflow\.json "kind" is "Agent"; expected "Stateful" or "Stateless"$/,
    ],
  ])('rejects %s with a ClassificationInputError naming where and why', (_label, doc, message) => {
    let error: unknown;
    try {
      classifyDocument(doc, 'x.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ClassificationInputError);
    expect((error as Error).message).toMatch(message);
    expect((error as ClassificationInputError).where.startsWith('x.json')).toBe(true);
  });
});

describe('classification properties', () => {
  // Trigger JSON assembled from the parts real definitions use, plus arbitrary strings.
  const typeArb = fc.oneof(
    fc.constantFrom(
      'Recurrence',
      'SlidingWindow',
      'Request',
      'Manual',
      'Http',
      'HttpWebhook',
      'ApiConnection',
      'ApiConnectionWebhook',
      'ApiConnectionNotification',
      'ServiceProvider',
      'Batch',
    ),
    fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== ''),
  );
  const referenceArb = fc.oneof(
    fc.constantFrom(
      'servicebus',
      'office365',
      'azurequeues',
      'eventhubs',
      'sql_1',
      'azureblob',
      'salesforce',
    ),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  );
  const pathArb = fc.constantFrom(
    "/@{encodeURIComponent(encodeURIComponent('q'))}/messages/head/peek",
    "/@{encodeURIComponent(encodeURIComponent('q'))}/messages/head",
    "/@{encodeURIComponent('hub')}/events/batch/head",
    '/v2/Mail/OnNewEmail',
    '/datasets/default/triggers/batch/onupdatedfile',
    '',
  );
  const providerArb = fc.constantFrom(
    '/serviceProviders/serviceBus',
    '/serviceProviders/AzureBlob',
    '/serviceProviders/azurequeues',
    '/serviceProviders/eventHub',
    '/serviceProviders/sql',
    '/serviceProviders/mq',
  );
  const triggerArb = fc.record(
    {
      type: typeArb,
      kind: fc.constantFrom('Http', 'Button'),
      inputs: fc.record(
        {
          host: fc.record({
            connection: referenceArb.map((r) => ({
              name: `@parameters('$connections')['${r}']['connectionId']`,
            })),
          }),
          path: pathArb,
          queries: fc.record({ sessionId: fc.constantFrom('None', 'Next available') }, { requiredKeys: [] }),
          serviceProviderConfiguration: fc.record({
            serviceProviderId: providerArb,
            operationId: fc.string(),
          }),
          parameters: fc.record({ isSessionsEnabled: fc.boolean() }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      recurrence: fc.constant({ frequency: 'Minute', interval: 1 }),
    },
    { requiredKeys: ['type'] },
  );

  it('never throws on a well-formed trigger and always agrees with roles.ts', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), triggerArb, { maxKeys: 4 }),
        (triggers) => {
          const result = classifyDefinition({ triggers, actions: {} });
          expect(result.map((c) => c.name)).toEqual(Object.keys(triggers));
          for (const c of result) {
            const verdict = allowedRoles({ kind: c.kind, stateSide: c.stateSide, sessions: c.sessions });
            expect(c.allowedRoles).toEqual(verdict.allowed);
            expect(c.reason.endsWith(verdict.reason)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers server-side state only with evidence of a broker: Service Bus or a storage queue', () => {
    fc.assert(
      fc.property(triggerArb, (trigger) => {
        const [c] = classifyDefinition({ triggers: { T: trigger } });
        if (c!.stateSide !== 'server') return;
        const evidence = JSON.stringify(trigger.inputs ?? {});
        expect(evidence).toMatch(/servicebus|\/messages\/head|azurequeues/i);
        expect(c!.kind).toBe('polling');
      }),
      { numRuns: 300 },
    );
  });
});
