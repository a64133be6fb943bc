import { observePlan } from '../../estate/observe';
import { primaryUnfit } from '../../estate/failback-gate';
import { createHealthProbe, type HealthProbe } from '../../adapters/probe';
import type { LogicAppsControl } from '../../adapters/logicapps/port';
import type { Plan } from '../../plan/schema';
import { planFromObserved } from '../../estate/live-check';
import type { OperationPlan, PlannedAction } from '../../core/planner';
import { createArmLogicAppsControl } from '../../adapters/logicapps/arm';
import { ARM_OPTIONS_HELP, azureConnection, simulatorFor } from '../arm';
import { commandPlan } from '../plan';
import { observeRouters } from '../../estate/routers';
import { createArmRouterControl } from '../../adapters/routers/arm';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, type CliIo } from '../io';
import type { Command } from '../command';

const usage = `Usage: dr whatif [PLAN] failover|failback [--kind planned|emergency] [--json] [--sim URL]

Reads the current state of every workflow through ARM and prints the ordered ARM operations a failover (or
failback) would perform now, group by group (entries of a group run in parallel, the steps of an entry in
order), marking no-ops and entries the DR rules block (undeclared entries whose live trigger forbids their
role). Changes nothing. The failover orchestration executes the same plan. A failback first probes the
primary's health check, as the real failback does: while it fails, every entry is shown held (nothing would be
stood down in the secondary), with why.

  --kind       planned (primary healthy: split entries switch at a slot boundary) or emergency; default:
               planned when the primary's ARM answers, else emergency
  --json       print the operation plan as JSON
${ARM_OPTIONS_HELP}

Exit codes: 0 printed, every state read; 2 invalid plan or arguments; 3 some state could not be read (the
plan is printed and the unread workflows are listed on stderr), or no ARM token.`;

function describe(action: PlannedAction): string {
  switch (action.op) {
    case 'pending-fence':
      return `record pending fence ${action.target.label} (its region's ARM does not answer; applied when it does)`;
    case 'missing':
      return `MISSING ${action.target.label}: not found, this entry will complete with errors`;
    case 'switch-router':
      return `switch ${action.router.label} -> ${action.target.label} (${action.why})${action.noop ? '  [no-op: already routed there]' : action.observed ? `  [now: ${action.observed}]` : ''}`;
    case 'pending-switch':
      return `PENDING switch ${action.router.label} -> ${action.target.label}: its ARM does not answer (${action.error}); callers stay where the router sends them`;
    case 'set-recurrence':
      return `set recurrence ${action.target.label} -> ${JSON.stringify(action.recurrence)} (${action.why})${action.noop ? '  [no-op]' : ''}`;
    default:
      return `${action.op} ${action.target.label} (${action.why})${action.noop ? '  [no-op: already ' + (action.op === 'enable' ? 'Enabled' : 'Disabled') + ']' : ''}`;
  }
}

export function renderOperationPlan(op: OperationPlan): string {
  const lines = [`${op.kind} ${op.direction}: ${op.groups.length} group(s), run in order`];
  for (const g of op.groups) {
    lines.push(
      `\ngroup ${g.group} (${g.entries.length} entr${g.entries.length === 1 ? 'y' : 'ies'} in parallel)`,
    );
    for (const e of g.entries) {
      lines.push(
        `  ${e.entry} [${e.role}]${e.slotBoundary ? ` just after a ${e.slotBoundary.every} slot boundary` : ''}`,
      );
      if (e.blocked) lines.push(`    BLOCKED: ${e.blocked}`);
      e.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${describe(s)}`));
    }
  }
  const all = op.groups.flatMap((g) => g.entries.flatMap((e) => e.steps));
  const writes = all.filter((s) => 'noop' in s && !s.noop).length;
  lines.push(`\n${writes} ARM write(s), ${all.length - writes} no-op or deferred step(s)`);
  return lines.join('\n');
}

/**
 * The health probe the failback's gate asks, from here: the health-check workflow's callback URL through ARM, or
 * the app setting from this shell's environment. Without that setting the gate cannot be asked: said, not guessed.
 */
function failbackGate(
  plan: Plan,
  control: LogicAppsControl,
  env: Readonly<Record<string, string | undefined>>,
  ca: string | undefined,
): { probe: HealthProbe } | { notProbed: string } {
  const setting = plan.healthCheck.workflow === undefined ? plan.healthCheck.urlSetting : undefined;
  if (setting !== undefined && !env[setting]?.trim())
    return {
      notProbed: `the primary's health check: not probed (app setting ${setting} is not set in this shell); the failback probes it first and holds every entry if it fails`,
    };
  return { probe: createHealthProbe({ control, plan, settings: env, ...(ca ? { ca } : {}) }) };
}

export const whatifCommand: Command = {
  summary: 'print the ARM operations a failover or failback would perform now, changing nothing',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean' },
      sim: { type: 'string' },
      kind: { type: 'string' },
    });
    const direction = positionals.at(-1);
    if (direction !== 'failover' && direction !== 'failback')
      throw new UsageError('say what to plan: failover or failback');
    if (values.kind !== undefined && values.kind !== 'planned' && values.kind !== 'emergency') {
      throw new UsageError(`--kind must be planned or emergency, not "${values.kind}"`);
    }
    const planArg = positionals.length > 1 ? positionals[0] : undefined;
    const sim = await simulatorFor(values.sim, io.env);
    const { plan } = commandPlan(planArg, io, sim?.demoPlan);
    const connection = sim?.connection ?? (await azureConnection(io.env));
    const control = createArmLogicAppsControl(connection);
    // A failback probes the primary's health check first, as the real one does: failing, every entry is held.
    const gate = direction === 'failback' ? failbackGate(plan, control, io.env, sim?.ca) : undefined;
    const [observed, routed, unfit] = await Promise.all([
      observePlan(plan, control),
      observeRouters(plan, control, createArmRouterControl(connection)),
      gate && 'probe' in gate ? primaryUnfit(gate.probe, plan, new Date()) : undefined,
    ]);
    const primaryUp = [...observed.values()].every(
      (o) => o.target.region !== 'primary' || o.observation.reachable,
    );
    const kind = values.kind ?? (primaryUp ? 'planned' : 'emergency');
    // As the orchestration plans it: entries whose live trigger forbids their role are blocked.
    const op = planFromObserved(plan, direction, observed, kind, routed, unfit ? { unfit } : {});
    const unreadable = [...observed.values()].flatMap((o) =>
      'error' in o.observation && o.observation.error !== undefined
        ? [`${o.target.label}: ${o.observation.error.split('\n')[0]}`]
        : [],
    );
    const notProbed = gate && 'notProbed' in gate ? gate.notProbed : undefined;
    io.out(
      values.json
        ? JSON.stringify({ ...op, unreadable: [...unreadable, ...(notProbed ? [notProbed] : [])] }, null, 2)
        : renderOperationPlan(op),
    );
    if (!unreadable.length && !notProbed) return EXIT.ok;
    // A plan built on states nobody read is a guess: say which, and do not exit 0.
    io.err(
      [
        ...(unreadable.length
          ? [
              `dr whatif: ${unreadable.length} of ${observed.size} workflow state(s) could not be read; the steps for them assume what the operation would (an unanswered region's fences deferred, an erroring one's tried):`,
              ...unreadable.slice(0, 10).map((u) => `  ${u}`),
              ...(unreadable.length > 10
                ? [`  and ${unreadable.length - 10} more (--json lists them all)`]
                : []),
            ]
          : []),
        ...(notProbed ? [`dr whatif: ${notProbed}`] : []),
      ].join('\n'),
    );
    return EXIT.unreadable;
  },
};
