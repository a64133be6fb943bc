import type { RunInfo } from '../../adapters/logicapps/port';
import { checkReadiness } from '../readiness';
import { createArmRouterControl } from '../../adapters/routers/arm';
import { formatWarnings } from '../../plan/validate';
import { createArmLogicAppsControl } from '../../adapters/logicapps/arm';
import { createArmIntegrationAccounts } from '../../adapters/logicapps/integration-accounts';
import { ARM_OPTIONS_HELP, azureConnection, simulatorFor } from '../arm';
import { commandPlan } from '../plan';
import { parseCommandArgs } from '../args';
import { EXIT, type CliIo } from '../io';
import type { Command } from '../command';
import { table } from '../table';

const usage = `Usage: dr ready [PLAN] [--json] [--sim URL]

Checks, through ARM, that the estate is ready to fail over: every workflow exists, in its side's region
(its ARM location), and is in its normal-operation state (passive secondaries Disabled, active-active
Enabled, split twins on their slots); the twins' definitions have not drifted apart (parameters and
connection ids aside); API connections and integration accounts are in their workflow's region (and no
integration account is shared); live triggers allow their roles; and the health-check workflow has a
Request trigger answered by a Response action. Checks ARM cannot answer (Logic Apps Standard definitions
and connections) are marked skip, with why. Then lists the runs still in progress in the primary: what a
regional loss now would abandon.

  --json       print the report as JSON
${ARM_OPTIONS_HELP}

The plan's warnings (those dr check prints, e.g. a declared stateSide "server" that makes a client-state
trigger active-active) are printed on stderr and in --json as "warnings"; they do not change the exit code.

Exit codes: 0 ready, 1 not ready (every check was read; the failing ones are listed), 2 invalid plan or
arguments, 3 the estate could not be read: no ARM token (nothing was read), or some checks are UNREAD (ARM
did not answer, or answered with an error: e.g. the primary region is down), whatever the others say.`;

/** The first few runs by name and start time; the JSON has them all. */
function describeRuns(runs: RunInfo[]): string {
  const shown = runs.slice(0, 3).map((r) => `${r.name}${r.startTime ? ` since ${r.startTime}` : ''}`);
  return runs.length > 3 ? `${shown.join(', ')} and ${runs.length - 3} more` : shown.join(', ');
}

export const readyCommand: Command = {
  summary: 'check through ARM that both regions are ready for a failover',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean' },
      sim: { type: 'string' },
    });
    const sim = await simulatorFor(values.sim, io.env);
    const { plan, warnings, source, locate } = commandPlan(positionals[0], io, sim?.demoPlan);
    // Before ARM is asked, so the warning stands even when the estate cannot be read.
    if (warnings.length && !values.json) io.err(formatWarnings(warnings, source, locate));
    const connection = sim?.connection ?? (await azureConnection(io.env));
    const report = await checkReadiness(plan, createArmLogicAppsControl(connection), {
      integrationAccounts: createArmIntegrationAccounts(connection),
      routers: createArmRouterControl(connection),
    });
    if (values.json) io.out(JSON.stringify({ ...report, warnings }, null, 2));
    else {
      const mark = { ok: 'ok', fail: 'FAIL', skip: 'skip', unread: 'UNREAD' } as const;
      io.out(
        table(
          report.checks.map((c) => ({
            entry: c.entry,
            check: c.check,
            result: mark[c.status],
            detail: c.detail,
          })),
        ),
      );
      io.out('\nruns in flight in the primary (a regional loss now would abandon them):');
      io.out(
        table(
          report.lostRuns.map((l) => ({
            entry: l.entry,
            workflow: l.workflow,
            running: l.status === 'listed' ? String(l.runs.length) : l.status,
            detail: l.status === 'listed' ? describeRuns(l.runs) : (l.detail ?? ''),
          })),
        ),
      );
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      const checks = (n: number) => `${n} check${n === 1 ? '' : 's'}`;
      io.out(
        report.ready
          ? `\nplan "${plan.id}": READY`
          : report.unread
            ? `\nplan "${plan.id}": UNKNOWN: ${checks(report.unread)} could not be read (UNREAD)${failed ? `, and ${checks(failed)} failed` : ''}`
            : `\nplan "${plan.id}": NOT READY (${failed} failing check${failed === 1 ? '' : 's'})`,
      );
    }
    // Checks nobody could read are no answer: "not ready" would be a guess (exit 3, as with no token).
    if (report.unread) return EXIT.unreadable;
    return report.ready ? EXIT.ok : EXIT.notOk;
  },
};
