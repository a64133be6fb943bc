import { checkReadiness } from '../../app/readiness';
import { loadPlan, planSourceFromSettings } from '../../plan/load';
import { ARM_OPTIONS_HELP, logicAppsControlFor } from '../arm';
import { parseCommandArgs } from '../args';
import { EXIT, type CliIo } from '../io';
import type { Command } from '../main';
import { table } from '../table';

const usage = `Usage: dr ready [PLAN] [--json] [--sim URL]

Checks, through ARM, that the estate is ready to fail over: every workflow exists in both regions and is in
its normal-operation state (passive secondaries Disabled, active-active Enabled, split twins on their
slots), the twins' definitions have not drifted apart (parameters and connection ids aside), API
connections are in their own region, no integration account is shared, live triggers allow their roles,
and the health-check workflow has a Request trigger answered by a Response action.

  --json       print the report as JSON
${ARM_OPTIONS_HELP}

Exit codes: 0 ready, 1 not ready (the failing checks are listed), 2 invalid plan or arguments.`;

export const readyCommand: Command = {
  summary: 'check through ARM that both regions are ready for a failover',
  usage,
  async run(args, io: CliIo) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: 'boolean' },
      sim: { type: 'string' },
    });
    const { plan } = loadPlan(
      positionals[0] ? { kind: 'file', path: positionals[0] } : planSourceFromSettings(io.env),
    );
    const control = await logicAppsControlFor(values.sim, io.env);
    const report = await checkReadiness(plan, control);
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      const mark = { ok: 'ok', fail: 'FAIL', skip: 'skip' } as const;
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
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      io.out(
        report.ready
          ? `\nplan "${plan.id}": READY`
          : `\nplan "${plan.id}": NOT READY (${failed} failing check${failed === 1 ? '' : 's'})`,
      );
    }
    return report.ready ? EXIT.ok : EXIT.notOk;
  },
};
