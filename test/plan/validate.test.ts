import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePlan } from '../../src/plan/load';
import { PlanError, validatePlan } from '../../src/plan/validate';
import { minimalPlan, PRIMARY_SUB } from '../support/plans';

type Mutable = ReturnType<typeof minimalPlan>;

function issuesOf(mutate: (p: Mutable) => void) {
  const plan = minimalPlan();
  mutate(plan);
  return validatePlan(plan, (entry) =>
    entry.trigger
      ? { source: 'declared', triggers: [{ kind: entry.trigger, stateSide: entry.stateSide }] }
      : undefined,
  ).issues;
}

function entry(fields: Record<string, unknown>) {
  return { name: 'wf', primary: 'wf', secondary: 'wf', ...fields };
}

/** Split sides: each region's twin pair, the one active in the primary passive in the secondary. */
const TWINS = { primary: { active: 'a', passive: 'b' }, secondary: { active: 'b', passive: 'a' } };

/**
 * A split entry with this schedule (cadence fields override the valid PT10M default) and twin sides; `fields`
 * override the rest.
 */
function split(schedule: Record<string, unknown>, fields: Record<string, unknown> = {}) {
  return entry({
    role: 'split-recurrence',
    trigger: 'recurrence',
    schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z', ...schedule },
    ...TWINS,
    ...fields,
  });
}

/** The mutation that adds one entry (`fields` over the `wf` defaults; a whole entry stays as it is). */
function adding(fields: Record<string, unknown>) {
  return (p: Mutable) => p.workflows.push(entry(fields));
}

/** An entry whose primary side is the minimal plan's health-check workflow. */
const HEALTH_CHECK_AS_ENTRY = {
  name: 'probe',
  role: 'active-passive',
  trigger: 'request',
  primary: 'health',
  secondary: 'h2',
};

describe('plan validation', () => {
  it('accepts the minimal plan and fills policy defaults', () => {
    const { plan, issues } = validatePlan(minimalPlan());
    expect(issues).toEqual([]);
    expect(plan?.policy).toMatchObject({
      recoveryThreshold: 3,
      automaticFailover: true,
      failback: 'manual',
      maxPause: 'PT24H',
    });
  });

  // Each row breaks exactly one rule; dropping the rule makes its row fail.
  type Case = [name: string, mutate: (p: Mutable) => void, rule: string, path: string];
  // A role the entry's trigger kind forbids: refused at the entry's role.
  const forbiddenRoles = (
    [
      ['webhook active-active', { role: 'active-active', trigger: 'webhook' }, 'webhook-single-region'],
      ['webhook split', split({}, { trigger: 'webhook' }), 'split-needs-recurrence'],
      [
        'client polling active-active',
        { role: 'active-active', trigger: 'polling', stateSide: 'client' },
        'client-state-polling-single-region',
      ],
      [
        'polling without state side active-active',
        { role: 'active-active', trigger: 'polling' },
        'polling-needs-state-side',
      ],
      [
        'ordered server polling without sessions',
        { role: 'active-active', trigger: 'polling', stateSide: 'server', ordered: true },
        'ordered-consumption-needs-sessions',
      ],
      ['recurrence active-active', { role: 'active-active', trigger: 'recurrence' }, 'recurrence-no-overlap'],
      ['request split', split({}, { trigger: 'request' }), 'split-needs-recurrence'],
    ] as const
  ).map(([name, fields, rule]): Case => [name, adding(fields), rule, 'workflows[1].role']);
  const cases: Case[] = [
    ...forbiddenRoles,
    [
      'same location',
      (p) => (p.secondary.location = 'West Europe'),
      'distinct-regions',
      'secondary.location',
    ],
    [
      'duplicate names',
      (p) => p.workflows.push({ ...p.workflows[0]!, primary: 'api2', secondary: 'api2' }),
      'duplicate-name',
      'workflows[1].name',
    ],
    [
      'unknown field',
      (p) => ((p.policy as Record<string, unknown>).failureTreshold = 3),
      'unknown-field',
      'policy.failureTreshold',
    ],
    ['unknown field in entry', (p) => (p.workflows[0]!.roll = 'x'), 'unknown-field', 'workflows[0].roll'],
    ['bad duration', (p) => (p.policy.probeInterval = '30s'), 'schema', 'policy.probeInterval'],
    ['calendar duration', (p) => (p.policy.cooldown = 'P1M'), 'schema', 'policy.cooldown'],
    [
      'threshold zero',
      (p) => (p.policy.failureThreshold = 0),
      'threshold-at-least-one',
      'policy.failureThreshold',
    ],
    [
      'recovery zero',
      (p) => (p.policy.recoveryThreshold = 0),
      'threshold-at-least-one',
      'policy.recoveryThreshold',
    ],
    ['no failure rule', (p) => delete p.policy.failureThreshold, 'one-failure-rule', 'policy'],
    ['two failure rules', (p) => (p.policy.window = { failures: 2, of: 3 }), 'one-failure-rule', 'policy'],
    [
      'window k > n',
      (p) => {
        delete p.policy.failureThreshold;
        p.policy.window = { failures: 4, of: 3 };
      },
      'window-k-within-n',
      'policy.window.failures',
    ],
    [
      'timeout = interval',
      (p) => (p.healthCheck.timeout = 'PT30S'),
      'timeout-below-interval',
      'healthCheck.timeout',
    ],
    [
      'timeout > interval',
      (p) => (p.healthCheck.timeout = 'PT1M'),
      'timeout-below-interval',
      'healthCheck.timeout',
    ],
    ['pause over 7 days', (p) => (p.policy.maxPause = 'P8D'), 'pause-bound', 'policy.maxPause'],
    ['both probe targets', (p) => (p.healthCheck.urlSetting = 'HEALTH_URL'), 'probe-target', 'healthCheck'],
    [
      'url in urlSetting',
      (p) => {
        delete p.healthCheck.workflow;
        delete p.healthCheck.trigger;
        p.healthCheck.urlSetting = 'https://x/y?sig=1';
      },
      'schema',
      'healthCheck.urlSetting',
    ],
    ['workflow without trigger', (p) => delete p.healthCheck.trigger, 'probe-target', 'healthCheck.trigger'],
    [
      'malformed resource id',
      (p) =>
        (p.workflows[0]!.secondary = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-neu/providers/Microsoft.Logic/workflow/api`),
      'workflow-ref',
      'workflows[0].secondary',
    ],
    [
      'name with a slash',
      (p) => (p.workflows[0]!.primary = 'rg-weu/api'),
      'workflow-ref',
      'workflows[0].primary',
    ],
    [
      'Standard site id as a string',
      (p) =>
        (p.workflows[0]!.primary = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-weu/providers/Microsoft.Web/sites/la/workflows/api`),
      'workflow-ref',
      'workflows[0].primary',
    ],
    [
      'undeclared Standard entry',
      adding({
        role: 'active-passive',
        primary: { site: 'la-weu', workflow: 'wf' },
        secondary: { site: 'la-neu', workflow: 'wf' },
      }),
      'trigger-undeclared',
      'workflows[1].trigger',
    ],
    [
      'health check in secondary',
      (p) =>
        (p.healthCheck.workflow = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-neu/providers/Microsoft.Logic/workflows/health`),
      'health-check-in-primary',
      'healthCheck.workflow',
    ],
    [
      'secondary side in primary',
      (p) =>
        (p.workflows[0]!.secondary = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-weu/providers/Microsoft.Logic/workflows/api`),
      'sides-in-their-regions',
      'workflows[0].secondary',
    ],
    [
      'workflow claimed twice',
      adding({
        name: 'api-copy',
        role: 'active-passive',
        trigger: 'request',
        primary: 'api',
        secondary: 'other',
      }),
      'workflow-claimed-twice',
      'workflows[1].primary',
    ],
    [
      'split without schedule',
      adding({ role: 'split-recurrence', trigger: 'recurrence', ...TWINS }),
      'split-needs-schedule',
      'workflows[1].schedule',
    ],
    [
      'split with plain sides',
      adding(split({}, { primary: 'wf', secondary: 'wf' })),
      'split-side-shape',
      'workflows[1].primary',
    ],
    [
      'twins on active-passive',
      adding({ role: 'active-passive', trigger: 'recurrence', ...TWINS }),
      'split-side-shape',
      'workflows[1].primary',
    ],
    [
      'stateSide on webhook',
      adding({ role: 'active-passive', trigger: 'webhook', stateSide: 'server' }),
      'polling-only-field',
      'workflows[1].stateSide',
    ],
    [
      'bad role',
      (p) => ((p.workflows[0] as Record<string, unknown>).role = 'hot-standby'),
      'schema',
      'workflows[0].role',
    ],
    [
      'bad subscription',
      (p) => (p.primary.subscriptionId = 'not-a-guid'),
      'schema',
      'primary.subscriptionId',
    ],
    ['missing id', (p) => delete (p as Partial<Mutable>).id, 'required', 'id'],
    [
      'service bus without entity',
      (p) => (p.notifications = { serviceBus: { namespace: 'x.servicebus.windows.net' } }),
      'service-bus-target',
      'notifications.serviceBus',
    ],
    [
      'service bus both auth kinds',
      (p) =>
        (p.notifications = {
          serviceBus: { namespace: 'x.servicebus.windows.net', connectionSetting: 'SB', queue: 'q' },
        }),
      'service-bus-target',
      'notifications.serviceBus',
    ],
    [
      'atLeast over count',
      (p) =>
        (p.healthCheck.dependencies = {
          require: { atLeast: 2 },
          probes: [{ name: 'db', urlSetting: 'DB_URL' }],
        }),
      'window-k-within-n',
      'healthCheck.dependencies.require.atLeast',
    ],
  ];

  // Split cadences that loaded and then failed every failover and failback in the planner.
  cases.push(
    ...(
      [
        ['zero', { every: 'PT0S' }, 'workflows[1].schedule.every'],
        ['under a minute', { every: 'PT30S' }, 'workflows[1].schedule.every'],
        ['a fraction of a second', { every: 'PT90.5S' }, 'workflows[1].schedule.every'],
        ['longer than Recurrence can repeat', { every: 'P300D' }, 'workflows[1].schedule.every'],
        ['an unknown time zone', { timeZone: 'Mars Standard Time' }, 'workflows[1].schedule.timeZone'],
        ['an anchor with a fraction', { anchor: '2024-01-01T00:00:00.5Z' }, 'workflows[1].schedule.anchor'],
      ] as const
    ).map(([name, schedule, path]): Case => [
      `split every: ${name}`,
      adding(split(schedule)),
      'split-cadence',
      path,
    ]),
  );

  cases.push(
    [
      'the health-check workflow as an entry',
      adding(HEALTH_CHECK_AS_ENTRY),
      'health-check-not-an-entry',
      'healthCheck.workflow',
    ],
    [
      'a dependency probe workflow as an entry',
      (p) => {
        p.healthCheck.dependencies = {
          require: 'all',
          probes: [{ name: 'db', workflow: 'db-probe', trigger: 'manual' }],
        };
        p.workflows.push(
          entry({
            name: 'dbp',
            role: 'active-active',
            trigger: 'request',
            primary: 'db-probe',
            secondary: 'db',
          }),
        );
      },
      'health-check-not-an-entry',
      'healthCheck.dependencies.probes[0].workflow',
    ],
    [
      'a Standard health-check workflow as an entry',
      (p) => {
        p.healthCheck.workflow = { site: 'la-weu', workflow: 'health' };
        p.workflows.push(
          entry({
            name: 'std',
            role: 'active-passive',
            trigger: 'request',
            primary: { site: 'LA-WEU', workflow: 'health' },
            secondary: { site: 'la-neu', workflow: 'health' },
          }),
        );
      },
      'health-check-not-an-entry',
      'healthCheck.workflow',
    ],
    [
      'automatic failback sooner than the cooldown',
      (p) => (p.policy.failback = { automaticAfter: 'PT10M' }),
      'failback-after-cooldown',
      'policy.failback.automaticAfter',
    ],
  );

  // Absurd thresholds: each is capped, and the message says why.
  cases.push(
    [
      'failureThreshold over 100',
      (p) => (p.policy.failureThreshold = 101),
      'schema',
      'policy.failureThreshold',
    ],
    [
      'window.of over 100',
      (p) => {
        delete p.policy.failureThreshold;
        p.policy.window = { failures: 3, of: 101 };
      },
      'schema',
      'policy.window.of',
    ],
    [
      'window.failures over 100',
      (p) => {
        delete p.policy.failureThreshold;
        p.policy.window = { failures: 1000, of: 1000 };
      },
      'schema',
      'policy.window.failures',
    ],
    [
      'recoveryThreshold over 100',
      (p) => (p.policy.recoveryThreshold = 101),
      'schema',
      'policy.recoveryThreshold',
    ],
    [
      'probeInterval over an hour',
      (p) => (p.policy.probeInterval = 'PT2H'),
      'probe-interval',
      'policy.probeInterval',
    ],
    ['a zero probe timeout', (p) => (p.healthCheck.timeout = 'PT0S'), 'probe-timeout', 'healthCheck.timeout'],
    [
      'a probe timeout over two minutes',
      (p) => {
        p.policy.probeInterval = 'PT10M';
        p.healthCheck.timeout = 'PT3M';
      },
      'probe-timeout',
      'healthCheck.timeout',
    ],
    [
      'a sub-half-second dependency timeout',
      (p) =>
        (p.healthCheck.dependencies = {
          require: 'all',
          probes: [{ name: 'db', urlSetting: 'DB_URL', timeout: 'PT0.1S' }],
        }),
      'probe-timeout',
      'healthCheck.dependencies.probes[0].timeout',
    ],
  );

  it('accepts the caps themselves, and says why window.of is capped', () => {
    expect(
      issuesOf((p) => {
        delete p.policy.failureThreshold;
        p.policy.window = { failures: 100, of: 100 };
        p.policy.recoveryThreshold = 100;
        p.policy.probeInterval = 'PT1H';
        p.healthCheck.timeout = 'PT2M';
      }),
    ).toEqual([]);
    expect(issuesOf((p) => (p.healthCheck.timeout = 'PT0.5S'))).toEqual([]);
    const [issue] = issuesOf((p) => {
      delete p.policy.failureThreshold;
      p.policy.window = { failures: 3, of: 101 };
    });
    expect(issue!.message).toContain('must be at most 100');
    expect(issue!.message).toContain('Durable custom status, which is limited to 16 KB');
    expect(issue!.fix).toBe('use at most 100');
  });

  // Names ARM rejects: refused at load, not at the first failover.
  cases.push(
    ...(['api?x', 'api#1', '100%', 'a\\b', 'api\u0007', 'ä'.repeat(81)] as const).map((name): Case => [
      `workflow name ${JSON.stringify(name).slice(0, 20)}`,
      (p) => (p.workflows[0]!.primary = name),
      'azure-name',
      'workflows[0].primary',
    ]),
    [
      'a name inside a resource id',
      (p) =>
        (p.workflows[0]!.secondary = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-neu/providers/Microsoft.Logic/workflows/api#2`),
      'azure-name',
      'workflows[0].secondary',
    ],
    [
      'a Standard site name with an underscore',
      (p) => (p.workflows[0]!.primary = { site: 'la_weu', workflow: 'api' }),
      'azure-name',
      'workflows[0].primary',
    ],
    [
      'a health-check workflow name',
      (p) => (p.healthCheck.workflow = 'health?'),
      'azure-name',
      'healthCheck.workflow',
    ],
    [
      'a resource group ending in "."',
      (p) => (p.primary.resourceGroup = 'rg-weu.'),
      'schema',
      'primary.resourceGroup',
    ],
    [
      'a resource group of dots',
      (p) => (p.secondary.resourceGroup = '...'),
      'schema',
      'secondary.resourceGroup',
    ],
    [
      'a resource group over 90',
      (p) => (p.primary.resourceGroup = 'r'.repeat(91)),
      'schema',
      'primary.resourceGroup',
    ],
  );

  it('says which character of a name Azure rejects, and why', () => {
    const messages = (name: string) =>
      issuesOf((p) => (p.workflows[0]!.primary = name)).map((i) => i.message);
    expect(messages('api?x')).toEqual([
      'workflow "api": its primary side\'s workflow name "api?x" contains "?", which would also break the ARM request URL; Azure allows letters, digits and - _ . ( ) only',
    ]);
    expect(messages('api\u0007')[0]).toContain('contains the control character U+0007');
    expect(messages('a'.repeat(81))[0]).toContain('is 81 characters long; Azure allows at most 80');
  });

  it('accepts the names Azure accepts, Unicode letters included', () => {
    expect(
      issuesOf((p) => {
        p.primary.resourceGroup = 'rg-münchen_(prod).1';
        p.secondary.resourceGroup = 'r'.repeat(90);
        p.workflows[0]!.primary = 'Bestellungen-ä_(v2).1';
        p.workflows[0]!.secondary = 'w'.repeat(80);
        p.workflows.push(
          entry({
            name: 'std',
            role: 'active-passive',
            trigger: 'request',
            primary: { site: 'la-weu-01', workflow: 'orders_v2' },
            secondary: { site: 'la-neu-01', workflow: 'orders_v2' },
          }),
        );
      }),
    ).toEqual([]);
  });

  it('names both places when the health check is an entry, and allows the same name in the secondary', () => {
    const [issue] = issuesOf(adding(HEALTH_CHECK_AS_ENTRY));
    expect(issue!.message).toContain(
      '"health" at healthCheck.workflow is also workflows[1].primary (workflow "probe")',
    );
    expect(
      issuesOf(
        adding({
          name: 'other',
          role: 'active-passive',
          trigger: 'request',
          primary: 'x',
          secondary: 'health',
        }),
      ),
    ).toEqual([]);
  });

  it('accepts automatic failback no sooner than the cooldown', () => {
    expect(issuesOf((p) => (p.policy.failback = { automaticAfter: 'PT30M' }))).toEqual([]);
    expect(
      issuesOf((p) => {
        p.policy.failback = { automaticAfter: 'PT10M' };
        p.policy.cooldown = 'PT5M';
      }),
    ).toEqual([]);
  });

  it.each(cases)('refuses %s', (_name, mutate, rule, path) => {
    const issues = issuesOf(mutate);
    const paths = issues.map((i) => `${i.rule} @ ${formatted(i.path)}`);
    expect(paths).toContain(`${rule} @ ${path}`);
    for (const i of issues) expect(i.fix.length).toBeGreaterThan(0);
  });

  it('accepts split cadences from a minute up, in whole seconds', () => {
    for (const every of ['PT1M', 'PT90S', 'PT10M', 'PT1H', 'P1D', 'P250D']) {
      expect(issuesOf(adding(split({ every }))), every).toEqual([]);
    }
  });

  it('says why a sub-minute split is refused', () => {
    const [issue] = issuesOf(adding(split({ every: 'PT0S' })));
    expect(issue!.message).toContain('zero, so there are no slots to alternate');
    expect(issue!.fix).toContain('PT1M or more');
  });

  it('accepts the safe roles for each trigger kind', () => {
    const safe = [
      entry({ name: 'a', role: 'active-passive', trigger: 'webhook', primary: 'a', secondary: 'a' }),
      entry({
        name: 'b',
        role: 'active-passive',
        trigger: 'polling',
        stateSide: 'client',
        primary: 'b',
        secondary: 'b',
      }),
      entry({
        name: 'c',
        role: 'active-active',
        trigger: 'polling',
        stateSide: 'server',
        primary: 'c',
        secondary: 'c',
      }),
      entry({
        name: 'd',
        role: 'active-active',
        trigger: 'polling',
        stateSide: 'server',
        ordered: true,
        sessions: true,
        primary: 'd',
        secondary: 'd',
      }),
      entry({ name: 'e', role: 'active-passive', trigger: 'recurrence', primary: 'e', secondary: 'e' }),
      entry({
        name: 'f',
        role: 'split-recurrence',
        trigger: 'recurrence',
        schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
        primary: { active: 'f1', passive: 'f2' },
        secondary: { workflow: 'f', mode: 'rewrite' },
      }),
      entry({ name: 'g', role: 'active-passive', trigger: 'request', primary: 'g', secondary: 'g' }),
      entry({
        name: 'h',
        role: 'active-passive',
        trigger: 'request',
        primary: { site: 'la-weu', workflow: 'h' },
        secondary: { site: 'la-neu', workflow: 'h' },
      }),
    ];
    expect(issuesOf((p) => p.workflows.push(...safe))).toEqual([]);
  });

  it('suggests the field a misspelt one meant, at its own level, and nothing far-fetched', () => {
    const issues = issuesOf((p) => {
      (p.policy as Record<string, unknown>).failureTreshold = 3;
      (p.healthCheck as Record<string, unknown>).timout = 'PT5S';
      (p.workflows[0] as Record<string, unknown>).roel = 'x';
      (p as Record<string, unknown>).wobble = 1;
    });
    const unknown = issues.filter((i) => i.rule === 'unknown-field');
    expect(unknown.map((i) => [i.message, i.fix])).toEqual(
      expect.arrayContaining([
        [
          'unknown field "failureTreshold"; did you mean "failureThreshold"?',
          'rename it to "failureThreshold"',
        ],
        ['unknown field "timout"; did you mean "timeout"?', 'rename it to "timeout"'],
        ['workflow "api": unknown field "roel"; did you mean "role"?', 'rename it to "role"'],
        ['unknown field "wobble"', 'remove it or check its spelling against schema/plan.schema.json'],
      ]),
    );
  });

  it('lists every problem at once, not only the first', () => {
    const issues = issuesOf((p) => {
      p.policy.failureThreshold = 0;
      p.healthCheck.timeout = 'PT1M';
      p.workflows.push(entry({ role: 'active-active', trigger: 'webhook' }));
      p.secondary.location = 'westeurope';
    });
    expect(new Set(issues.map((i) => i.rule))).toEqual(
      new Set([
        'threshold-at-least-one',
        'timeout-below-interval',
        'webhook-single-region',
        'distinct-regions',
      ]),
    );
  });

  it('lists schema errors and DR-rule errors together: a typo elsewhere hides no rule', () => {
    const issues = issuesOf((p) => {
      (p.policy as Record<string, unknown>).failureTreshold = 3; // schema: unknown field
      p.workflows[0]!.roll = 'x'; // schema: this entry is skipped by the rules
      p.workflows.push(entry({ name: 'hook', role: 'active-active', trigger: 'webhook' }));
      p.workflows.push(
        entry({ name: 'tick', role: 'active-active', trigger: 'recurrence', primary: 't', secondary: 't' }),
      );
      p.workflows.push(
        entry({
          name: 'bad',
          role: 'active-passive',
          trigger: 'request',
          primary: 'b',
          secondary: 'b',
          group: -1,
        }),
      );
      p.healthCheck.timeout = 'PT1M';
      p.secondary.location = 'West Europe';
    });
    expect(issues.map((i) => `${i.rule} @ ${formatted(i.path)}`).sort()).toEqual(
      [
        'unknown-field @ policy.failureTreshold',
        'unknown-field @ workflows[0].roll',
        'schema @ workflows[3].group',
        'webhook-single-region @ workflows[1].role',
        'recurrence-no-overlap @ workflows[2].role',
        'distinct-regions @ secondary.location',
      ].sort(),
    );
  });

  it('runs the policy rules when the policy parses, however broken the rest is', () => {
    const issues = issuesOf((p) => {
      p.policy.failureThreshold = 0;
      p.policy.maxPause = 'P8D';
      (p as Record<string, unknown>).primary = { location: 'westeurope' }; // schema: missing fields
      p.workflows.push(entry({ name: 'x', role: 'active-active', trigger: 'webhook' }));
    });
    const rules = issues.map((i) => i.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['required', 'threshold-at-least-one', 'pause-bound', 'webhook-single-region']),
    );
  });

  it('warns (does not refuse) a side in a resource group that is neither region’s: only ARM can place it', () => {
    const plan = minimalPlan();
    plan.workflows[0]!.secondary = `/subscriptions/${PRIMARY_SUB}/resourceGroups/rg-shared/providers/Microsoft.Logic/workflows/api`;
    const { plan: valid, issues, warnings } = validatePlan(plan);
    expect(issues).toEqual([]);
    expect(valid).toBeDefined();
    expect(warnings).toEqual([
      expect.objectContaining({
        rule: 'side-region-unverified',
        path: ['workflows', 0, 'secondary'],
        message: expect.stringContaining('resource group rg-shared'),
        fix: expect.stringContaining('`dr ready` compares its ARM location with northeurope'),
      }),
    ]);
  });

  it('warns that an undeclared entry is checked on its live definition, and where', () => {
    const plan = minimalPlan();
    plan.workflows.push(entry({ name: 'live', role: 'active-passive', primary: 'l', secondary: 'l' }));
    const { warnings } = validatePlan(plan);
    expect(warnings.map((w) => `${w.rule} @ ${formatted(w.path)}`)).toEqual([
      'trigger-undeclared @ workflows[1]',
    ]);
    expect(warnings[0]!.message).toContain('before every failover or failback, which blocks the entry');
  });

  // The guidance, restated independently of src/core/roles.ts: the oracle the plan rules must agree with.
  function guidanceAllows(
    kind: string,
    stateSide: string | undefined,
    ordered: boolean,
    sessions: boolean,
    role: string,
  ): boolean {
    if (role === 'split-recurrence') return kind === 'recurrence';
    if (kind === 'recurrence') return role === 'active-passive';
    if (kind === 'webhook') return role === 'active-passive';
    if (kind === 'request') return true;
    if (stateSide !== 'server') return role === 'active-passive';
    if (ordered && !sessions) return role === 'active-passive';
    return true;
  }

  it('accepts a workflow entry exactly when the DR guidance allows its role (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('recurrence', 'polling', 'request', 'webhook'),
        fc.constantFrom(undefined, 'client', 'server'),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('active-active', 'active-passive', 'split-recurrence'),
        (kind, stateSide, ordered, sessions, role) => {
          const polling = kind === 'polling';
          const split = role === 'split-recurrence';
          const issues = issuesOf(
            adding({
              role,
              trigger: kind,
              ...(polling && stateSide ? { stateSide } : {}),
              ...(polling ? { ordered, sessions } : {}),
              ...(split
                ? {
                    schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
                    primary: { active: 'x', passive: 'y' },
                    secondary: { active: 'y', passive: 'x' },
                  }
                : {}),
            }),
          );
          const allowed = guidanceAllows(
            kind,
            polling ? stateSide : undefined,
            polling && ordered,
            polling && sessions,
            role,
          );
          expect(issues.length === 0).toBe(allowed);
        },
      ),
      { numRuns: 500 },
    );
  });
});

function formatted(path: (string | number)[]): string {
  return (
    path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') ||
    '(root)'
  );
}

describe('plan text', () => {
  it('reports malformed JSON with line and column, and loads nothing', () => {
    const text = '{\n  "id": "x",\n  "primary": { "location": "westeurope", }\n}';
    expect(() => parsePlan(text, 'bad.json', '.')).toThrow(PlanError);
    try {
      parsePlan(text, 'bad.json', '.');
    } catch (err) {
      expect((err as PlanError).message).toMatch(/line 3, column 42: trailing comma/);
    }
  });

  it('points schema errors at the line of the offending field', () => {
    const plan = minimalPlan();
    (plan.workflows[0] as Record<string, unknown>).role = 'hot-standby';
    const text = JSON.stringify(plan, null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('hot-standby')) + 1;
    expect(() => parsePlan(text, 'plan.json', '.')).toThrow(
      new RegExp(`plan\\.json:${line}:\\d+ workflows\\[0\\]\\.role \\[schema\\]`),
    );
  });

  it('reports schema and rule errors of one file together, each at its line, in file order', () => {
    const plan = minimalPlan();
    plan.secondary.location = 'westeurope'; // rule, early in the file
    (plan.policy as Record<string, unknown>).failureTreshold = 3; // schema, later
    plan.workflows.push(entry({ name: 'hook', role: 'active-active', trigger: 'webhook' })); // rule, last
    const text = JSON.stringify(plan, null, 2);
    const lines = text.split('\n');
    const line = (needle: string, last = false) => {
      const at = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
      return last ? at.at(-1) : at[0];
    };
    let message = '';
    try {
      parsePlan(text, 'plan.json', '.');
    } catch (err) {
      message = (err as PlanError).message;
    }
    const reported = [...message.matchAll(/plan\.json:(\d+):\d+ (\S+) \[([\w-]+)\]/g)].map(
      ([, l, path, rule]) => `${l} ${path} ${rule}`,
    );
    expect(reported).toEqual([
      `${line('"location": "westeurope"', true)} secondary.location distinct-regions`,
      `${line('failureTreshold')} policy.failureTreshold unknown-field`,
      `${line('"role": "active-active"', true)} workflows[1].role webhook-single-region`,
    ]);
  });

  it('a copied plan whose definition files are not beside it: each unreadable one is one problem', () => {
    // examples/plan.json copied elsewhere: its relative definition paths no longer resolve.
    const text = readFileSync(join(__dirname, '../../examples/plan.json'), 'utf8');
    let err: PlanError | undefined;
    try {
      parsePlan(text, 'copied.json', '/nonexistent-dir');
    } catch (e) {
      err = e as PlanError;
    }
    const unreadable = err?.issues.filter((i) => i.rule === 'definition-unreadable') ?? [];
    expect(unreadable.length).toBeGreaterThan(0);
    const where = unreadable.map((i) => JSON.stringify(i.path));
    expect(where).toEqual([...new Set(where)]);
    expect(err?.issues).toHaveLength(unreadable.length);
  });

  it('refuses duplicate keys, which JSON.parse would silently merge', () => {
    expect(() => parsePlan('{"id":"a","id":"b"}', 'dup.json', '.')).toThrow(
      /line 1, column 11: duplicate property "id"/,
    );
  });
});
