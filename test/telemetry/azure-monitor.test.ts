/**
 * The Azure path as the composition root takes it: azureMonitorTelemetry from the app settings, exporting with
 * @azure/monitor-opentelemetry-exporter to an ingestion endpoint (here a local HTTP server standing in for
 * Application Insights' track API), so the names an operator queries are the ones that arrive.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { installTelemetry } from '../../src/composition';
import { azureMonitorTelemetry } from '../../src/telemetry/otel';
import { METRICS, recordOperation } from '../../src/telemetry/metrics';
import { SPANS, emitOperationSpans } from '../../src/telemetry/tracing';
import { generateSimCertificates } from '../../local/sim/arm/cert';
import { operationTraceIds, type OperationTelemetry } from '../../src/core/operation-telemetry';

interface Envelope {
  name: string;
  tags?: Record<string, string>;
  data: { baseType: string; baseData: Record<string, any> };
}

let server: Server | undefined;
const rejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
afterEach(async () => {
  if (rejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejectUnauthorized;
  await installTelemetry(undefined);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Accepts what the exporter posts to `<IngestionEndpoint>/v2.1/track`, as the service would (200, all accepted). */
async function ingestion(): Promise<{ url: string; envelopes: Envelope[] }> {
  const envelopes: Envelope[] = [];
  // The exporter only speaks https: a throw-away certificate, trusted by this test process only while it runs.
  const cert = await generateSimCertificates();
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  server = createServer({ cert: cert.serverCertPem, key: cert.serverKeyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      const items = (
        text.trim().startsWith('[')
          ? JSON.parse(text)
          : text
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l))
      ) as Envelope[];
      if (req.url?.includes('/track')) envelopes.push(...items);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, envelopes };
}

const operation: OperationTelemetry = {
  operationId: 'failover-7-20260302T080630',
  planId: 'contoso-orders-dr',
  direction: 'failover',
  kind: 'emergency',
  trigger: 'automatic',
  outcome: 'succeeded',
  startedAt: '2026-03-02T08:06:30.000Z',
  endedAt: '2026-03-02T08:07:40.000Z',
  durationMs: 70_000,
  groups: [
    {
      group: 0,
      startedAt: '2026-03-02T08:06:31.000Z',
      endedAt: '2026-03-02T08:07:00.000Z',
      entries: 2,
      failedEntries: 0,
    },
    {
      group: 1,
      startedAt: '2026-03-02T08:07:00.000Z',
      endedAt: '2026-03-02T08:07:30.000Z',
      entries: 5,
      failedEntries: 0,
    },
  ],
  rto: { measuredMs: 60_000, predictedMs: 155_000, basis: 'first-failed-probe' },
};

describe('Application Insights through @azure/monitor-opentelemetry-exporter', () => {
  it('no connection string: no telemetry', () => {
    expect(azureMonitorTelemetry({})).toBeUndefined();
  });

  it('sends the operation span, its group spans and the RTO metric as App Insights items', async () => {
    const { url, envelopes } = await ingestion();
    const telemetry = azureMonitorTelemetry({
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=${url}`,
      WEBSITE_SITE_NAME: 'func-dr-test',
    })!;
    await installTelemetry(telemetry);
    emitOperationSpans(operation);
    recordOperation(operation);
    await telemetry.flush();

    const deps = envelopes.filter((e) => e.data.baseType === 'RemoteDependencyData');
    const op = deps.find((e) => e.data.baseData.name === SPANS.operation)!;
    expect(op.data.baseData.properties).toMatchObject({
      'dr.operation.id': operation.operationId,
      'dr.operation.outcome': 'succeeded',
    });
    // operation_Id is the trace id the operation id gives; cloud_RoleName the site's name.
    expect(op.tags).toMatchObject({
      'ai.operation.id': operationTraceIds(operation.planId, operation.operationId).traceId,
      'ai.cloud.role': 'func-dr-test',
    });
    expect(deps.filter((e) => e.data.baseData.name === SPANS.group)).toHaveLength(2);

    const metrics = envelopes
      .filter((e) => e.data.baseType === 'MetricData')
      .flatMap((e) =>
        (e.data.baseData.metrics as { name: string; value: number }[]).map((m) => ({
          ...m,
          props: e.data.baseData.properties,
        })),
      );
    expect(metrics.find((m) => m.name === METRICS.rto)).toMatchObject({
      value: 60_000,
      props: { 'dr.operation.direction': 'failover', 'dr.rto.basis': 'first-failed-probe' },
    });
    expect(metrics.find((m) => m.name === METRICS.operationDuration)?.value).toBe(70_000);
  }, 60_000);
});
