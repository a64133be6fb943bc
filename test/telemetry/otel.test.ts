/**
 * OpenTelemetry read back through in-memory exporters: a failover on the in-process host (the real functions,
 * the ARM simulator, the AMQP broker) produces one trace (the operation span, one child per group, activities
 * and ARM calls under them, all carrying the operation id), and metrics whose names, units and attributes are
 * the documented ones, the RTO metric equal to the audit record's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installTelemetry } from '../../src/composition';
import { startTelemetry, authenticationOf, type Telemetry } from '../../src/telemetry/otel';
import { METRICS } from '../../src/telemetry/metrics';
import { SPANS, emitOperationSpans, inActivitySpan } from '../../src/telemetry/tracing';
import { armOperationOf, armRegionsOf, useArmRegions } from '../../src/adapters/arm/telemetry';
import { createArmLogicAppsControl } from '../../src/adapters/logicapps/arm';
import { ArmThrottle } from '../../src/adapters/arm/throttle';
import { operationCarrier, operationTraceIds } from '../../src/core/operation-telemetry';
import { simulatorConnection } from '../../local/sim/arm';
import { estatePerTest, failoverAfterPrimaryUnhealthy } from '../support/estate';

const estates = estatePerTest();

let spans: InMemorySpanExporter;
let metricExporter: InMemoryMetricExporter;
let telemetry: Telemetry;

beforeEach(async () => {
  spans = new InMemorySpanExporter();
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  telemetry = startTelemetry({
    spans,
    spansOneByOne: true,
    metrics: metricExporter,
    // Read on demand (flush), never on a timer during the test.
    metricIntervalMs: 3_600_000,
  });
  await installTelemetry(telemetry);
});

afterEach(async () => {
  await installTelemetry(undefined);
});

/** The last export of each metric, by name. */
async function readMetrics(): Promise<Map<string, MetricData>> {
  await telemetry.flush();
  const byName = new Map<string, MetricData>();
  for (const rm of metricExporter.getMetrics())
    for (const scope of rm.scopeMetrics) for (const m of scope.metrics) byName.set(m.descriptor.name, m);
  return byName;
}

const points = (m: MetricData | undefined) => (m?.dataPoints ?? []) as { attributes: any; value: any }[];
const childrenOf = (all: ReadableSpan[], parent: ReadableSpan) =>
  all.filter(
    (s) =>
      s.parentSpanContext?.spanId === parent.spanContext().spanId &&
      s.spanContext().traceId === parent.spanContext().traceId,
  );

describe('OpenTelemetry of a failover', () => {
  it('one trace: the operation span, one child per group, activities and ARM calls under them, and the RTO metric equals the audit record', async () => {
    const estate = await estates.start();
    const op = await failoverAfterPrimaryUnhealthy(estate);
    expect(op.status).toBe('succeeded');
    await telemetry.flush();
    const all = spans.getFinishedSpans();

    // The operation span: root, with the trace id the operation id gives.
    const opSpans = all.filter((s) => s.name === SPANS.operation);
    expect(opSpans).toHaveLength(1);
    const opSpan = opSpans[0]!;
    expect(opSpan.parentSpanContext).toBeUndefined();
    expect(opSpan.spanContext()).toMatchObject(operationTraceIds(estate.plan.id, op.operationId));
    expect(opSpan.attributes).toMatchObject({
      'dr.operation.id': op.operationId,
      'dr.plan.id': estate.plan.id,
      'dr.operation.direction': 'failover',
      'dr.operation.kind': 'emergency',
      'dr.operation.trigger': 'automatic',
      'dr.operation.outcome': 'succeeded',
      'dr.operation.groups': op.plan!.groups.length,
      'dr.rto.measured_ms': op.rto.measuredMs,
    });
    // Its times are the record's (orchestration time).
    expect(opSpan.startTime).toEqual([Math.floor(Date.parse(op.timeline[0]!.at) / 1000), expect.any(Number)]);

    // One child per group, in the plan's order, each ending at its read-back.
    const groups = childrenOf(all, opSpan).filter((s) => s.name === SPANS.group);
    expect(op.plan!.groups.length).toBeGreaterThan(1);
    expect(groups.map((g) => g.attributes['dr.group'])).toEqual(op.plan!.groups.map((g) => g.group));
    for (const g of groups) {
      expect(g.attributes['dr.operation.id']).toBe(op.operationId);
      expect(g.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    // Planning runs under the operation span, the read-backs and the entries' activities under their group.
    expect(childrenOf(all, opSpan).map((s) => s.name)).toContain(SPANS.activity('planOperation'));
    for (const g of groups) {
      const names = childrenOf(all, g).map((s) => s.name);
      expect(names).toContain(SPANS.activity('readBack'));
      expect(
        names.some((n) => n === SPANS.activity('applyAction') || n === SPANS.activity('applyActions')),
      ).toBe(true);
    }
    // ARM calls: client spans under the activities, carrying the operation id, the region and the kind.
    const activityIds = new Set(
      all.filter((s) => s.name.startsWith('dr.activity ')).map((s) => s.spanContext().spanId),
    );
    const armCalls = all.filter(
      (s) =>
        s.kind === SpanKind.CLIENT &&
        s.spanContext().traceId === opSpan.spanContext().traceId &&
        activityIds.has(s.parentSpanContext?.spanId ?? ''),
    );
    expect(armCalls.length).toBeGreaterThan(0);
    for (const c of armCalls) {
      expect(c.name).toMatch(/^ARM (GET|PUT|POST|PATCH|DELETE) Microsoft\.\w+\//);
      expect(c.attributes).toMatchObject({
        'dr.operation.id': op.operationId,
        'http.request.method': expect.any(String),
        'http.response.status_code': expect.any(Number),
        'dr.arm.kind': expect.stringMatching(/^(read|write)$/),
      });
      // Workflows and sites are in a region's resource group; the routers in front of both are not.
      if (/Microsoft\.(Logic|Web)\//.test(c.name))
        expect(['primary', 'secondary']).toContain(c.attributes['dr.region']);
      else expect(c.attributes['dr.region']).toBe('other');
    }
    const writes = armCalls.filter((c) => c.attributes['dr.arm.kind'] === 'write');
    // Fences in the primary, activations in the secondary, the router switch (other).
    expect(new Set(writes.map((c) => c.attributes['dr.region']))).toEqual(
      new Set(['primary', 'secondary', 'other']),
    );

    // Metrics: names, units, attributes.
    const metrics = await readMetrics();
    const rto = metrics.get(METRICS.rto)!;
    expect(rto.descriptor.unit).toBe('ms');
    expect(rto.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(points(rto)).toHaveLength(1);
    expect(points(rto)[0]!.attributes).toEqual({
      'dr.plan.id': estate.plan.id,
      'dr.operation.direction': 'failover',
      'dr.operation.kind': 'emergency',
      'dr.operation.trigger': 'automatic',
      'dr.operation.outcome': 'succeeded',
      'dr.rto.basis': 'first-failed-probe',
    });
    expect(points(rto)[0]!.value).toMatchObject({ count: 1, sum: op.rto.measuredMs });
    expect(points(metrics.get(METRICS.predictedRto))[0]!.value.sum).toBe(op.rto.predictedMs);
    const duration = metrics.get(METRICS.operationDuration)!;
    expect(duration.descriptor.unit).toBe('ms');
    expect(points(duration)[0]!.value.sum).toBeGreaterThanOrEqual(op.rto.measuredMs! - 90_000);

    const probe = metrics.get(METRICS.probeDuration)!;
    expect(probe.descriptor.unit).toBe('ms');
    expect(probe.dataPointType).toBe(DataPointType.HISTOGRAM);
    const outcomes = points(metrics.get(METRICS.probeResults)).map((p) => p.attributes['dr.probe.outcome']);
    expect(outcomes).toEqual(expect.arrayContaining(['healthy', 'status']));

    const mode = points(metrics.get(METRICS.mode));
    expect(mode.find((p) => p.attributes['dr.mode'] === 'failed-over')?.value).toBe(1);
    expect(mode.find((p) => p.attributes['dr.mode'] === 'monitoring')?.value).toBe(0);
    expect(metrics.get(METRICS.consecutiveFailures)?.descriptor.unit).toBe('{probe}');
    expect(points(metrics.get(METRICS.notificationBacklog))[0]?.attributes).toEqual({
      'dr.plan.id': estate.plan.id,
    });

    const requests = points(metrics.get(METRICS.armRequests));
    expect(metrics.get(METRICS.armRequests)!.descriptor.unit).toBe('{request}');
    const regionsKinds = new Set(
      requests.map((p) => `${p.attributes['dr.region']}/${p.attributes['dr.arm.kind']}`),
    );
    expect(regionsKinds).toEqual(
      new Set([
        'primary/read',
        'primary/write',
        'secondary/read',
        'secondary/write',
        'other/read',
        'other/write',
      ]),
    );
    expect(requests.every((p) => typeof p.attributes['http.response.status_code'] === 'number')).toBe(true);
  }, 120_000);
});

describe('ARM telemetry', () => {
  it('counts each attempt, the 429s and the SDK retries by region and kind', async () => {
    const estate = await estates.start();
    const control = createArmLogicAppsControl({
      ...simulatorConnection(estate.sim, new ArmThrottle()),
      maxRetries: 2,
    });
    estate.sim.outage('northeurope', { kind: 'throttled', retryAfterSeconds: 0 });
    // Only what happens from here: starting the estate made ARM calls of its own.
    const before = await readMetrics();
    const counted = (name: string) =>
      points(before.get(name)).filter((p) => p.attributes['dr.region'] === 'secondary').length;
    expect([counted(METRICS.armThrottled), counted(METRICS.armRetries)]).toEqual([0, 0]);
    spans.reset();
    const { subscriptionId, resourceGroup } = estate.plan.secondary;
    const name = estate.sim.workflows().find((w) => w.region === 'northeurope')!.name;
    await expect(control.getWorkflow({ subscriptionId, resourceGroup, name })).rejects.toThrow();
    const metrics = await readMetrics();
    const secondaryReads = { 'dr.region': 'secondary', 'dr.arm.kind': 'read' };
    expect(points(metrics.get(METRICS.armThrottled))).toEqual([
      expect.objectContaining({ attributes: secondaryReads, value: 3 }),
    ]);
    expect(points(metrics.get(METRICS.armRetries))).toEqual([
      expect.objectContaining({ attributes: secondaryReads, value: 2 }),
    ]);
    expect(
      points(metrics.get(METRICS.armRequests)).filter(
        (p) => p.attributes['http.response.status_code'] === 429,
      ),
    ).toEqual([
      expect.objectContaining({
        attributes: { ...secondaryReads, 'http.response.status_code': 429 },
        value: 3,
      }),
    ]);
    const calls = spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(calls.map((c) => [c.name, c.attributes['dr.arm.retry'], c.status.code])).toEqual([
      ['ARM GET Microsoft.Logic/workflows', false, SpanStatusCode.ERROR],
      ['ARM GET Microsoft.Logic/workflows', true, SpanStatusCode.ERROR],
      ['ARM GET Microsoft.Logic/workflows', true, SpanStatusCode.ERROR],
    ]);
  }, 60_000);

  it('names what an ARM path does, and which plan region it is about', () => {
    expect(
      armOperationOf(
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows/orders/triggers/manual/listCallbackUrl',
      ),
    ).toBe('Microsoft.Logic/workflows/triggers/listCallbackUrl');
    expect(
      armOperationOf(
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app/config/appsettings/list',
      ),
    ).toBe('Microsoft.Web/sites/config/list');
    expect(armOperationOf('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Logic/workflows')).toBe(
      'Microsoft.Logic/workflows',
    );
    const plan = {
      primary: { location: 'westeurope', subscriptionId: 'S1', resourceGroup: 'rg-we' },
      secondary: { location: 'northeurope', subscriptionId: 'S1', resourceGroup: 'rg-ne' },
      workflows: [
        {
          primary: '/subscriptions/S2/resourceGroups/other-we/providers/Microsoft.Logic/workflows/x',
          secondary: 'x',
        },
      ],
    } as any;
    const regionOf = armRegionsOf(plan);
    expect(regionOf('/subscriptions/s1/resourcegroups/RG-WE/providers/Microsoft.Logic/workflows/a')).toBe(
      'primary',
    );
    expect(regionOf('/subscriptions/S1/resourceGroups/rg-ne/providers/Microsoft.Web/sites/b')).toBe(
      'secondary',
    );
    expect(regionOf('/subscriptions/S2/resourceGroups/other-we/providers/Microsoft.Logic/workflows/x')).toBe(
      'primary',
    );
    expect(regionOf('/subscriptions/S3/resourceGroups/rg/providers/Microsoft.ApiManagement/service/a')).toBe(
      'other',
    );
    useArmRegions(undefined);
  });
});

describe('telemetry never fails what it observes', () => {
  it('an exporter that throws leaves activities and the operation record alone', async () => {
    const broken = {
      export: () => {
        throw new Error('exporter down');
      },
      shutdown: () => Promise.resolve(),
    };
    await installTelemetry(startTelemetry({ spans: broken, spansOneByOne: true }));
    await expect(inActivitySpan('probe', operationCarrier('p', 'op-1'), async () => 42)).resolves.toBe(42);
    await expect(
      inActivitySpan('probe', operationCarrier('p', 'op-1'), async () => {
        throw new Error('the activity failed');
      }),
    ).rejects.toThrow('the activity failed');
    expect(() =>
      emitOperationSpans({
        operationId: 'op-1',
        planId: 'p',
        direction: 'failover',
        kind: 'planned',
        trigger: 'manual',
        outcome: 'succeeded',
        startedAt: '2026-01-01T00:00:00Z',
        endedAt: '2026-01-01T00:01:00Z',
        durationMs: 60_000,
        groups: [
          {
            group: 0,
            startedAt: '2026-01-01T00:00:10Z',
            endedAt: '2026-01-01T00:00:50Z',
            entries: 1,
            failedEntries: 0,
          },
        ],
        rto: {},
      }),
    ).not.toThrow();
  });

  it('reads the ingestion credential from APPLICATIONINSIGHTS_AUTHENTICATION_STRING, refusing what it cannot use', () => {
    expect(authenticationOf(undefined)).toBeUndefined();
    expect(authenticationOf('ClientId=abc;Authorization=AAD')).toEqual({ clientId: 'abc' });
    expect(authenticationOf('Authorization=AAD')).toEqual({});
    expect(() => authenticationOf('Authorization=Key')).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING/);
  });
});
