/**
 * infra/modules/alerts.bicep as azd deploys it: one action group behind every alert, fed from azd env values;
 * an availability test on /api/health, which the API serves anonymously, from at least three locations; one log
 * alert per query file entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA } from './bicep';

const read = (p: string) => readFileSync(join(INFRA, p), 'utf8');

describe('alerts, availability test and workbook in infra', () => {
  const alerts = read('modules/alerts.bicep');
  const main = read('main.bicep');

  it('every alert (the availability alert and each log alert) acts through the one action group', () => {
    const resources = alerts.split(/^resource /m).slice(1);
    const alerting = resources.filter((r) =>
      /'Microsoft\.Insights\/(metricAlerts|scheduledQueryRules)@/.test(r),
    );
    expect(alerting).toHaveLength(2);
    for (const r of alerting) expect(r).toMatch(/actionGroup\.id/);
    expect(resources.filter((r) => /'Microsoft\.Insights\/actionGroups@/.test(r))).toHaveLength(1);
    expect(alerts).toContain("loadJsonContent('../monitoring/alert-queries.json')");
    expect(alerts).toContain("loadTextContent('../monitoring/workbook.json')");
  });

  it('the availability test calls /api/health from at least three locations, and nothing in front asks it to sign in', () => {
    expect(alerts).toContain("RequestUrl: 'https://${functionAppHostName}/api/health'");
    expect([...alerts.matchAll(/\{ Id: '[a-z0-9-]+' \}/g)].length).toBeGreaterThanOrEqual(3);
    // The API serves /api/health anonymously itself; no platform authentication stands in front of it.
    expect(read('modules/functionapp.bicep')).not.toMatch(/authsettingsV2/);
  });

  it('main.bicep deploys the module with the azd env values', () => {
    expect(main).toMatch(/module alerts '\.\/modules\/alerts\.bicep'/);
    expect(main).toContain('functionAppHostName: functionApp.outputs.defaultHostName');
    const params = read('main.parameters.json');
    expect(params).toContain('${DR_ALERT_EMAIL}');
    expect(params).toContain('${DR_ALERT_WEBHOOK_URL}');
    expect(main).toMatch(/@secure\(\)\n@description\('[^\n]*'\)\nparam alertWebhookUrl string/);
  });
});
