/**
 * The failover plan: the user-facing contract, written once here. The JSON Schema in
 * `schema/plan.schema.json` is generated from it (`npm run schema`) and a test keeps the two in sync.
 */
import { z } from 'zod';
import { isIsoDuration } from '../core/duration';
import { ROLES, STATE_SIDES, TRIGGER_KINDS } from '../core/roles';

/**
 * For editors: the durations isIsoDuration accepts (days, hours, minutes, seconds; at least one amount), so
 * `30s`, `PT` or `P1M` are underlined as they are typed. The loader's message says why.
 */
export const DURATION_PATTERN =
  '^P(?=\\d|T\\d)(?:\\d+D)?(?:T(?=\\d)(?:\\d+H)?(?:\\d+M)?(?:\\d+(?:\\.\\d+)?S)?)?$';

const duration = (what: string) =>
  z
    .string()
    .refine(isIsoDuration, {
      error: `${what} must be an ISO 8601 duration such as PT30S, PT10M, PT1H or P1D`,
    })
    .meta({ pattern: DURATION_PATTERN })
    .describe(`${what} (ISO 8601 duration, e.g. PT30S)`);

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

const azureLocation = nonEmpty
  .regex(/^[A-Za-z0-9 ]+$/, { error: 'must be an Azure region name such as westeurope or "West Europe"' })
  .describe('Azure region, e.g. westeurope');

const appSettingName = nonEmpty
  .regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, {
    error: 'must be the NAME of an app setting (letters, digits, _ . : -), never the value itself',
  })
  .describe('Name of an app setting that holds the value at run time');

/**
 * Azure's naming rules (learn.microsoft.com, "Naming rules and restrictions for Azure resources"): a resource
 * group is 1-90 letters, digits and - _ . ( ), not ending in "."; a Logic Apps workflow 1-80 letters, digits and
 * - _ . ( ). Names outside them are rejected by ARM, and ? # % / \ would break the request URL first.
 */
export const RESOURCE_GROUP_NAME = /^[-\p{L}\p{Nd}_.()]{0,89}[-\p{L}\p{Nd}_()]$/u;
export const WORKFLOW_NAME = /^[-\p{L}\p{Nd}_.()]{1,80}$/u;
export const MAX_WORKFLOW_NAME = 80;

export const RegionSchema = z
  .strictObject({
    location: azureLocation,
    subscriptionId: z
      .string()
      .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
        error: 'must be a subscription GUID',
      }),
    resourceGroup: nonEmpty.regex(RESOURCE_GROUP_NAME, {
      error:
        'is not a resource group name Azure accepts: 1-90 letters, digits, - _ . ( ), and not ending in "."',
    }),
  })
  .describe('Where a region’s workflows live');

/** A workflow in one region: a name in that region's resource group, a full resource id, or a Standard workflow. */
export const WorkflowRefSchema = z.union([
  nonEmpty
    .describe('Workflow name in the region’s resource group, or a full ARM resource id')
    // For editors; the plan rules check names (and the names inside resource ids) with precise messages.
    .meta({ pattern: `^(?:/.*|${WORKFLOW_NAME.source.slice(1, -1)})$` }),
  z
    .strictObject({ site: nonEmpty, workflow: nonEmpty })
    .describe('Logic Apps Standard: the site (logic app) and the workflow inside it'),
]);

/** One side of a split-recurrence entry. */
export const SplitSideSchema = z.union([
  z
    .strictObject({ active: WorkflowRefSchema, passive: WorkflowRefSchema })
    .describe('Twin scheme: the active twin runs this region’s slots, the passive twin the other region’s'),
  z
    .strictObject({
      workflow: WorkflowRefSchema,
      mode: z.literal('rewrite'),
      triggerName: nonEmpty.optional(),
    })
    .describe('One workflow whose Recurrence the control plane rewrites at failover and failback'),
]);

export const SplitCadenceSchema = z
  .strictObject({
    every: duration('schedule.every').describe('The cadence both regions together cover, e.g. PT10M'),
    anchor: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2024-01-01T00:00:00Z' })
      .describe('Time of slot 0: the primary runs even slots, the secondary odd slots'),
    timeZone: nonEmpty.optional().describe('Windows time zone id, passed through to the recurrence'),
  })
  .describe('The split cadence of a split-recurrence entry');

/** One name per plan region, keyed by the region's location (`westeurope` or `West Europe`). */
const perRegion = (what: string) =>
  z
    .record(z.string(), nonEmpty)
    .describe(`The ${what} of each region, keyed by the plan's primary and secondary locations`);

const routerScope = {
  subscriptionId: RegionSchema.shape.subscriptionId,
  resourceGroup: RegionSchema.shape.resourceGroup,
};

/**
 * The router in front of a Request-triggered entry: the failover switches it to the secondary's workflow and
 * the failback back. One resource may front several entries (one APIM service, one Front Door profile), each
 * with its own backend, API or origin group.
 */
export const RouterSchema = z
  .union([
    z
      .strictObject({
        apiManagement: z.strictObject({
          ...routerScope,
          service: nonEmpty.describe('The API Management service'),
          backend: nonEmpty.optional().describe('The backend that fronts the workflow (its url is switched)'),
          api: nonEmpty.optional().describe('Or the API whose serviceUrl is switched'),
          trigger: nonEmpty.describe('The Request trigger whose callback URL the router is given'),
          signature: z
            .union([
              z.literal('backend-credentials'),
              z
                .strictObject({ namedValues: perRegion('secret named value holding the sig') })
                .describe(
                  'One secret named value per region holding that region’s sig; the switch writes the url and the reference (or the API’s serviceUrl, whose host the policy picks it by) in one write',
                ),
              // Kept only so the plan rules refuse it by name (even beside namedValues); editors show it deprecated.
              z
                .strictObject({
                  namedValue: nonEmpty,
                  namedValues: perRegion('secret named value holding the sig').optional(),
                })
                .meta({ deprecated: true })
                .describe(
                  'Refused: one named value for both regions leaves calls refused 401 between its write and the url’s; use namedValues',
                ),
            ])
            .default('backend-credentials')
            .describe(
              'Where the callback URL’s sig goes: the backend’s credentials.query, or one secret named value per region',
            ),
        }),
      })
      .describe(
        'API Management: the switch writes the active region’s callback URL into a backend or an API',
      ),
    z
      .strictObject({
        frontDoor: z.strictObject({
          ...routerScope,
          profile: nonEmpty.describe('The Front Door Standard/Premium profile'),
          originGroup: nonEmpty,
          origins: perRegion('origin'),
        }),
      })
      .describe(
        'Front Door: the switch enables the active region’s origin (priority 1) and disables the other',
      ),
    z
      .strictObject({
        trafficManager: z.strictObject({
          ...routerScope,
          profile: nonEmpty.describe('A Traffic Manager profile with Priority routing'),
          endpointType: z
            .enum(['ExternalEndpoints', 'AzureEndpoints', 'NestedEndpoints'])
            .default('ExternalEndpoints'),
          endpoints: perRegion('endpoint'),
        }),
      })
      .describe('Traffic Manager: the switch enables the active region’s endpoint and disables the other'),
  ])
  .describe('The router callers reach the workflow through');

export const WorkflowEntrySchema = z
  .strictObject({
    name: nonEmpty.describe('Unique name of this entry'),
    role: z.enum(ROLES),
    trigger: z
      .enum(TRIGGER_KINDS)
      .optional()
      .describe('Trigger kind; classified from `definition` when absent'),
    stateSide: z.enum(STATE_SIDES).optional().describe('Polling triggers: where the read position is kept'),
    ordered: z.boolean().optional().describe('In-order consumption (e.g. a FIFO queue)'),
    sessions: z.boolean().optional().describe('The consumer uses Service Bus sessions, which keep order'),
    group: z.number().int().min(0).optional().describe('Failover group: groups run in ascending order'),
    definition: nonEmpty
      .optional()
      .describe('Path (relative to the plan file) of the workflow definition, for offline classification'),
    schedule: SplitCadenceSchema.optional(),
    primary: z.union([WorkflowRefSchema, SplitSideSchema]),
    secondary: z.union([WorkflowRefSchema, SplitSideSchema]),
    router: RouterSchema.optional(),
  })
  .describe('A workflow pair and the role it plays');

const ProbeTargetFields = {
  workflow: WorkflowRefSchema.optional().describe('Health-check workflow in the primary region'),
  trigger: nonEmpty.optional().describe('Its Request trigger, resolved to a callback URL through ARM'),
  urlSetting: appSettingName.optional(),
  timeout: duration('timeout')
    .optional()
    .describe('From PT0.5S to PT2M, and shorter than policy.probeInterval'),
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  expectBody: z.record(z.string(), z.unknown()).optional().describe('Fields the JSON body must contain'),
};

export const DependencyProbeSchema = z.strictObject({ name: nonEmpty, ...ProbeTargetFields });

export const HealthCheckSchema = z
  .strictObject({
    ...ProbeTargetFields,
    timeout: duration('healthCheck.timeout').describe(
      'From PT0.5S to PT2M, and shorter than policy.probeInterval',
    ),
    dependencies: z
      .strictObject({
        require: z.union([
          z.literal('all'),
          z
            .strictObject({ atLeast: z.number().int().min(1) })
            .describe('At least k dependency probes healthy'),
        ]),
        probes: z.array(DependencyProbeSchema).min(1),
      })
      .optional(),
  })
  .describe('The health-check Logic App in the primary region');

/** Upper bound of every probe count in the policy; see the messages for why. */
export const MAX_PROBE_COUNT = 100;

const probeCount = (why: string) =>
  z
    .number()
    .int()
    .max(MAX_PROBE_COUNT, { error: `must be at most ${MAX_PROBE_COUNT}: ${why}` })
    // Below 1 is refused by the plan rules (threshold-at-least-one, with its own message); editors learn it here.
    .meta({ minimum: 1 });

export const PolicySchema = z.strictObject({
  probeInterval: duration('policy.probeInterval').describe(
    'Time between two probes, from PT1S to PT1H (ISO 8601 duration)',
  ),
  failureThreshold: probeCount(
    'the failover waits for that many failed probes in a row, each a probeInterval apart',
  )
    .optional()
    .describe('Consecutive failed probes that trigger failover'),
  window: z
    .strictObject({
      failures: probeCount(`it can be no more than "of", itself at most ${MAX_PROBE_COUNT}`),
      of: probeCount(
        'the monitor keeps the last "of" probe outcomes in its Durable custom status, which is limited to 16 KB with everything else it reports',
      ),
    })
    .optional()
    .describe('Fail over when `failures` of the last `of` probes failed'),
  recoveryThreshold: probeCount(
    'the primary counts as recovered only after that many healthy probes in a row, each a probeInterval apart',
  )
    .default(3)
    .describe('Consecutive healthy probes before primary is healthy'),
  automaticFailover: z.boolean().default(true),
  failback: z
    .union([
      z.literal('manual'),
      z.strictObject({ automaticAfter: duration('policy.failback.automaticAfter') }),
      z
        .strictObject({
          soak: duration('policy.failback.soak'),
          approval: z.literal('required'),
        })
        .describe(
          'Both gates: the primary healthy for the soak AND an operator asking for the failback (never automatic)',
        ),
    ])
    .default('manual')
    .describe(
      '"manual": an operator fails back once the primary recovered; automaticAfter: automatically after the soak; soak with approval "required": an operator fails back, and only after the soak',
    ),
  cooldown: duration('policy.cooldown')
    .default('PT30M')
    .describe('After a failover, how long detection is doubled (it never withholds a failover longer)'),
  maxPause: duration('policy.maxPause').default('PT24H').describe('Upper bound for an operator pause'),
});

const ServiceBusTargetFields = {
  queue: nonEmpty.optional(),
  topic: nonEmpty.optional(),
};

export const NotificationsSchema = z.strictObject({
  serviceBus: z
    .strictObject({
      namespace: nonEmpty
        .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, {
          error: 'must be the namespace FQDN, e.g. contoso.servicebus.windows.net',
        })
        .optional()
        .describe('Fully qualified namespace; the managed identity sends (Azure Service Bus Data Sender)'),
      connectionSetting: appSettingName.optional(),
      ...ServiceBusTargetFields,
    })
    .optional(),
});

export const PlanSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: nonEmpty
      .regex(/^[A-Za-z0-9][A-Za-z0-9-_.]{0,62}$/, {
        error: 'must be 1-63 letters, digits, - _ . (it becomes the orchestration instance id)',
      })
      .describe('Plan id: the singleton orchestration id and the source of every notification'),
    description: z.string().optional(),
    primary: RegionSchema,
    secondary: RegionSchema,
    healthCheck: HealthCheckSchema,
    policy: PolicySchema,
    workflows: z.array(WorkflowEntrySchema),
    notifications: NotificationsSchema.optional(),
  })
  .describe('logic-apps-failover plan');

export type PlanInput = z.input<typeof PlanSchema>;
export type Plan = z.output<typeof PlanSchema>;
export type Region = z.output<typeof RegionSchema>;
export type WorkflowRef = z.output<typeof WorkflowRefSchema>;
export type SplitSide = z.output<typeof SplitSideSchema>;
export type WorkflowEntry = z.output<typeof WorkflowEntrySchema>;
export type Router = z.output<typeof RouterSchema>;
export type HealthCheck = z.output<typeof HealthCheckSchema>;
export type DependencyProbe = z.output<typeof DependencyProbeSchema>;
export type Policy = z.output<typeof PolicySchema>;
export type Notifications = z.output<typeof NotificationsSchema>;

type JsonSchema = Record<string, unknown>;

const jsonSchemaOf = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

/**
 * What a workflow entry needs by its role, for editors (zod has no conditional shapes; the loader checks the
 * same with its own messages): a split entry needs `schedule` and split sides ({ active, passive } or
 * { workflow, mode: "rewrite" }); any other role plain workflow references.
 */
function roleConditions(): JsonSchema {
  const side = jsonSchemaOf(SplitSideSchema);
  const ref = jsonSchemaOf(WorkflowRefSchema);
  return {
    if: { properties: { role: { const: 'split-recurrence' } }, required: ['role'] },
    then: { required: ['schedule'], properties: { primary: side, secondary: side } },
    else: { properties: { primary: ref, secondary: ref } },
  };
}

/** The JSON Schema editors use for autocompletion and to underline what the loader would refuse. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = jsonSchemaOf(PlanSchema) as JsonSchema & {
    properties: { workflows: { items: JsonSchema } };
  };
  Object.assign(schema.properties.workflows.items, { allOf: [roleConditions()] });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...schema,
    title: 'logic-apps-failover plan',
  };
}
