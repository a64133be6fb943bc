/**
 * Every KQL query of the alerts (infra/monitoring/alert-queries.json) and of the workbook
 * (infra/monitoring/workbook.json) parses and binds with Microsoft's Kusto language service against the
 * Application Insights tables: no syntax error, no unknown table, column or function. Each alert links a
 * runbook section that exists, and filters on a record the app writes (src/telemetry/events.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heartbeatRecord, LOG_EVENTS, notificationRecord } from '../../src/telemetry/events';
import { initialMonitorRecord } from '../../src/core/monitor-step';
import { EVENT_TYPES, notificationOf } from '../../src/core/notifications';
import { testPolicy } from '../support/plans';
import { REPO } from './bicep';
// The language service is Bridge.NET output: the runtime first, then Kusto.Language, both onto globalThis.
import '@kusto/language-service-next/bridge.min.js';
import '@kusto/language-service-next/Kusto.Language.Bridge.min.js';

const K = (globalThis as any).Kusto.Language;

const COMMON =
  'operation_Name:string, operation_Id:string, operation_ParentId:string, operation_SyntheticSource:string, ' +
  'session_Id:string, user_Id:string, user_AuthenticatedId:string, user_AccountId:string, application_Version:string, ' +
  'client_Type:string, client_Model:string, client_OS:string, client_IP:string, client_City:string, ' +
  'client_StateOrProvince:string, client_CountryOrRegion:string, client_Browser:string, cloud_RoleName:string, ' +
  'cloud_RoleInstance:string, appId:string, appName:string, iKey:string, sdkVersion:string, itemId:string, ' +
  'itemType:string, itemCount:int, customDimensions:dynamic, customMeasurements:dynamic';

/** The classic Application Insights tables (what a log alert scoped to the component queries). */
const TABLES: Record<string, string> = {
  traces: `timestamp:datetime, message:string, severityLevel:int, ${COMMON}`,
  requests: `timestamp:datetime, id:string, source:string, name:string, url:string, success:bool, resultCode:string, duration:real, performanceBucket:string, ${COMMON}`,
  dependencies: `timestamp:datetime, id:string, target:string, type:string, name:string, data:string, success:bool, resultCode:string, duration:real, performanceBucket:string, ${COMMON}`,
  exceptions: `timestamp:datetime, problemId:string, handledAt:string, type:string, message:string, assembly:string, method:string, outerType:string, outerMessage:string, outerAssembly:string, outerMethod:string, innermostType:string, innermostMessage:string, innermostAssembly:string, innermostMethod:string, severityLevel:int, details:dynamic, ${COMMON}`,
  availabilityResults: `timestamp:datetime, id:string, name:string, location:string, success:string, message:string, size:real, duration:real, performanceBucket:string, ${COMMON}`,
  customMetrics: `timestamp:datetime, name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real, ${COMMON}`,
  customEvents: `timestamp:datetime, name:string, ${COMMON}`,
};

const S = K.Symbols;
const globals = K.GlobalState.Default.WithDatabase(
  new S.DatabaseSymbol.$ctor1(
    'appinsights',
    Object.entries(TABLES).map(([name, schema]) => new S.TableSymbol.$ctor7(name, `(${schema})`, null)),
    false,
  ),
);

function diagnostics(query: string): string[] {
  const d = K.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const out: string[] = [];
  for (let i = 0; i < d.Count; i++) {
    const x = d.getItem(i);
    if (x.Severity === 'Error') out.push(`${x.Message} at ${x.Start}: ${query.slice(x.Start, x.Start + 30)}`);
  }
  return out;
}

interface AlertQuery {
  name: string;
  severity: number;
  anchor: string;
  title: string;
  query: string;
}
const alerts = (
  JSON.parse(readFileSync(join(REPO, 'infra/monitoring/alert-queries.json'), 'utf8')) as {
    alerts: AlertQuery[];
  }
).alerts;
const workbook = JSON.parse(readFileSync(join(REPO, 'infra/monitoring/workbook.json'), 'utf8')) as {
  items: { type: number; content: { title?: string; query?: string; visualization?: string } }[];
};
const filled = (q: string) => q.replaceAll('{heartbeatMinutes}', '5').replaceAll('{fenceMinutes}', '10');

describe('KQL of the alerts and the workbook', () => {
  it('the checker bites: a typo, an unknown table and an unknown column are errors', () => {
    expect(diagnostics('traces | wher x')).not.toEqual([]);
    expect(diagnostics('trace | take 1')).not.toEqual([]);
    expect(diagnostics('traces | where messages has "x"')).not.toEqual([]);
    expect(diagnostics('traces | where message has "x" | summarize count() by bin(timestamp, 5m)')).toEqual(
      [],
    );
  });

  it.each(alerts.map((a) => [a.name, a] as const))('alert %s parses and binds', (_name, a) => {
    expect(diagnostics(filled(a.query))).toEqual([]);
    expect(filled(a.query)).not.toMatch(/\{[A-Za-z]+Minutes\}/); // every placeholder is one the module fills
  });

  it.each(
    workbook.items.filter((i) => i.type === 3).map((i) => [i.content.title!, i.content.query!] as const),
  )('workbook chart "%s" parses and binds', (_title, query) => {
    expect(diagnostics(query)).toEqual([]);
  });

  it('the workbook draws charts, not tables', () => {
    const charts = workbook.items.filter((i) => i.type === 3);
    expect(charts.length).toBeGreaterThanOrEqual(8);
    for (const c of charts) expect(c.content.visualization).toMatch(/chart$/);
  });

  it('every alert has a severity, links a runbook section that exists, and filters on a record the app writes', () => {
    const runbook = readFileSync(join(REPO, 'docs/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const events = new Set<string>(Object.values(LOG_EVENTS));
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    for (const a of alerts) {
      expect([0, 1, 2, 3, 4], a.name).toContain(a.severity);
      expect(anchors.has(a.anchor), `docs/runbook.md has no section #${a.anchor}`).toBe(true);
      const event = /"event":"([a-z.]+)"/.exec(a.query)?.[1];
      expect(events.has(event!), `${a.name} filters on ${event}`).toBe(true);
    }
    expect(anchors.has('alert-health-unavailable')).toBe(true);
  });
});

describe('alerts over records that name a workflow', () => {
  /** The fields of `e` (the parsed record) a query reads. */
  const fieldsRead = (q: string) => [...new Set([...q.matchAll(/\be\.([A-Za-z]+)/g)].map((m) => m[1]!))];
  const policy = testPolicy();
  const at = '2026-03-02T09:00:00.000Z';

  it('estate.drifted has its alert, and every field it reads is one the drift record carries', () => {
    const alert = alerts.find((a) => a.query.includes("'estate.drifted'"));
    expect(alert, 'no alert filters on estate.drifted').toBeDefined();
    expect(alert!.severity).toBeLessThanOrEqual(2);
    const record = notificationRecord(
      notificationOf(
        EVENT_TYPES.estateDrifted,
        {
          planId: 'p',
          correlationId: 'monitor-p',
          idParts: ['p', 'd'],
          now: new Date(at),
          regions: undefined,
        },
        {
          operationId: 'failover-1',
          entry: 'order-webhook',
          workflow: 'secondary:order-webhook',
          region: 'secondary',
          rule: 'every-entry-runs',
          message: 'secondary order-webhook is Disabled: runs nowhere',
          monitor: { mode: 'failed-over', activeRegion: 'secondary', consecutiveFailures: 0, policy },
        },
      ),
    );
    expect(fieldsRead(alert!.query).sort()).toEqual(['drift', 'region', 'rule', 'type', 'workflow']);
    for (const f of fieldsRead(alert!.query)) expect(record, f).toHaveProperty(f);
  });

  it('the pending-fence alert names the oldest fence and since when, from fields the heartbeat carries', () => {
    const alert = alerts.find((a) => a.name === 'fences-pending')!;
    const record = initialMonitorRecord('p', policy, 30_000);
    const beat = heartbeatRecord(
      'p',
      {
        instanceId: 'dr-monitor-p',
        createdTime: at,
        lastUpdatedTime: at,
        runtimeStatus: 'Running',
        input: {
          ...record,
          pendingFences: [
            { region: 'primary', ref: 'a', key: 'a', label: 'primary:a', since: '2026-03-02T08:40:00Z' },
          ],
        },
      },
      new Date(at),
    );
    expect(fieldsRead(alert.query)).toContain('oldestPendingFence');
    for (const f of fieldsRead(alert.query)) expect(beat, f).toHaveProperty(f);
  });
});
