/** The drill report in Markdown, for people; the JSON file carries the same DrillReport for machines. */
import type { DrillReport } from './drill';

const seconds = (ms: number | undefined): string =>
  ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`;

export function drillReportMarkdown(report: DrillReport): string {
  const lines: string[] = [
    `# Failover drill: ${report.planId}`,
    '',
    `**Result: ${report.ok ? 'PASSED' : 'FAILED'}**${report.error ? ` (${report.error})` : ''}`,
    '',
    `- primary ${report.primary}, secondary ${report.secondary}`,
    `- fault injected in the primary: \`${JSON.stringify(report.fault)}\``,
    `- policy: probe every ${report.policy.probeInterval}, ${report.policy.window ? `${report.policy.window.failures} of ${report.policy.window.of} probes failed` : `${report.policy.failureThreshold ?? '?'} failed probes in a row`}`,
    `- ran ${report.startedAt} to ${report.finishedAt}`,
    '',
    '## Measured',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| detection (outage to failover decision) | ${seconds(report.detectionMs)} |`,
    `| actuation (decision to last action verified) | ${seconds(report.actuationMs)} |`,
    `| RTO recorded by the operation (first failed probe to last verified) | ${seconds(report.failover?.measuredRtoMs)} |`,
    `| RTO predicted by the operation | ${seconds(report.failover?.predictedRtoMs)} |`,
    `| failback (request to finished, incl. the wait for a slot boundary) | ${seconds(report.failbackMs)} |`,
    '',
    '## Operations',
    '',
    '| operation | id | outcome |',
    '| --- | --- | --- |',
    `| failover (automatic) | ${report.failover?.operationId ?? 'none'} | ${report.failover?.outcome ?? 'n/a'} |`,
    `| failback (POST /api/failback${report.failback?.forced ? ', forced' : ''}) | ${report.failback?.operationId ?? 'none'} | ${report.failback?.outcome ?? 'n/a'} |`,
    ...(report.failback?.forceReason ? ['', `Forced because: ${report.failback.forceReason}`] : []),
    '',
    '## Invariants',
    '',
    '| invariant | result | checked |',
    '| --- | --- | --- |',
    ...report.invariants.map(
      (i) => `| ${i.name} | ${i.ok ? 'pass' : '**FAIL**'} | ${i.detail.replace(/\|/g, '\\|')} |`,
    ),
  ];
  const failed = report.invariants.filter((i) => !i.ok);
  if (failed.length) {
    lines.push('', '### Problems', '');
    for (const i of failed) for (const p of i.problems) lines.push(`- ${i.name}: ${p}`);
  }
  if (report.routerTraffic) {
    lines.push('', '## Calls through the router', '', '| fate | calls |', '| --- | --- |');
    for (const [fate, n] of Object.entries(report.routerTraffic)) lines.push(`| ${fate} | ${n} |`);
  }
  lines.push('', '## Notifications received', '');
  if (report.notifications.length === 0) lines.push('(none)');
  for (const n of report.notifications)
    lines.push(`- \`${n.type}\` ${n.messageId ?? ''} ${n.time ?? ''}`.trimEnd());
  lines.push('', '## Timeline', '');
  for (const t of report.timeline) lines.push(`- ${t.at} ${t.event}`);
  lines.push('');
  return lines.join('\n');
}
