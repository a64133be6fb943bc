import { durationMs, formatDuration } from '../../core/duration';
import type { LoadedPlan } from '../../plan/load';
import { commandPlan } from '../plan';
import { formatWarnings } from '../../plan/validate';
import { parseCommandArgs } from '../args';
import { EXIT, type CliIo } from '../io';
import type { Command } from '../command';
import { table } from '../table';

const usage = `Usage: dr check [PLAN] [--json]

Validates a failover plan: its shape, the Logic Apps DR rules, and the trigger of every entry that
declares one or points at its definition; every problem is listed at once, schema and rules together.
Entries with neither are checked on their live definitions (dr ready, and the control plane before every
operation), and say so in a warning. PLAN defaults to $DR_PLAN_PATH, then to the JSON in $DR_PLAN.

  --json   print the result as JSON

Warnings (e.g. a declared stateSide "server" that makes a client-state trigger such as an Office 365
mailbox active-active) are printed on stderr and in --json; they do not change the exit code.

Exit codes: 0 valid (with or without warnings), 2 invalid (every problem is listed on stderr).`;

/** The plan in a few lines, so an operator can see what the control plane will do. */
export function summarisePlan({ plan, triggers }: LoadedPlan) {
  const p = plan.policy;
  const interval = durationMs(p.probeInterval);
  const timeout = durationMs(plan.healthCheck.timeout);
  const failures = p.failureThreshold ?? p.window!.failures;
  return {
    id: plan.id,
    primary: plan.primary.location,
    secondary: plan.secondary.location,
    failureRule:
      p.failureThreshold !== undefined
        ? `${p.failureThreshold} consecutive failed probes`
        : `${p.window!.failures} of the last ${p.window!.of} probes failed`,
    probeInterval: p.probeInterval,
    // Worst case from the outage to the decision: up to one interval until the first probe fails,
    // the remaining failing probes, and the last probe's timeout.
    detectionAtMost: formatDuration(failures * interval + timeout),
    automaticFailover: p.automaticFailover,
    failback:
      p.failback === 'manual'
        ? 'manual'
        : 'automaticAfter' in p.failback
          ? `automatic after ${p.failback.automaticAfter}`
          : `an operator's approval, after a soak of ${p.failback.soak}`,
    workflows: plan.workflows.map((w) => {
      const known = triggers.get(w.name);
      return {
        name: w.name,
        role: w.role,
        group: w.group ?? 0,
        trigger: known ? [...new Set(known.triggers.map((t) => t.kind))].join('+') : 'live',
        // Checked through ARM by dr ready, at start-up and before every operation.
        from: known?.source ?? 'live (ARM)',
      };
    }),
  };
}

export const checkCommand: Command = {
  summary: 'validate a failover plan against the schema and the DR rules',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    const loaded = commandPlan(positionals[0], io); // throws PlanError: reported by main with exit 2
    const summary = summarisePlan(loaded);
    if (values.json) {
      io.out(
        JSON.stringify({ valid: true, source: loaded.source, summary, warnings: loaded.warnings }, null, 2),
      );
      return EXIT.ok;
    }
    io.out(
      [
        `${loaded.source}: plan "${summary.id}" is valid`,
        `  ${summary.primary} (primary) -> ${summary.secondary} (secondary)`,
        `  fail over after ${summary.failureRule}, probing every ${summary.probeInterval}: an outage is detected within ${summary.detectionAtMost}`,
        `  automatic failover: ${summary.automaticFailover ? 'on' : 'off'}; failback: ${summary.failback}`,
        '',
        table(summary.workflows),
      ].join('\n'),
    );
    if (loaded.warnings.length) io.err(formatWarnings(loaded.warnings, loaded.source, loaded.locate));
    return EXIT.ok;
  },
};
