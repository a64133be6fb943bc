/**
 * OpenTelemetry for the control plane, set up in one place and started by the composition root: a tracer
 * provider (with the preset ids the operation trace needs), a meter provider (src/telemetry/metrics.ts) and, in
 * Azure, a logger provider. In Azure (APPLICATIONINSIGHTS_CONNECTION_STRING) all three export to Application
 * Insights with @azure/monitor-opentelemetry-exporter, and @azure/functions-opentelemetry-instrumentation makes
 * each invocation run in the host's trace and sends the worker's logs (the structured records the alerts read
 * included) through the logger provider, as host.json `telemetryMode: OpenTelemetry` expects. `npm start` and
 * the tests pass exporters of their own (console, OTLP, in memory).
 */
import * as azFunc from '@azure/functions';
import { AzureFunctionsInstrumentationESM } from '@azure/functions-opentelemetry-instrumentation';
import { ManagedIdentityCredential } from '@azure/identity';
import {
  AzureMonitorLogExporter,
  AzureMonitorMetricExporter,
  AzureMonitorTraceExporter,
} from '@azure/monitor-opentelemetry-exporter';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { useMeter } from './metrics';
import { SCOPE, presetIds } from './tracing';

export interface TelemetryOptions {
  spans?: SpanExporter;
  /** Export each span as it ends (tests, a console) rather than in batches. */
  spansOneByOne?: boolean;
  metrics?: PushMetricExporter;
  /** How often metrics are exported (default 60 s). */
  metricIntervalMs?: number;
  /** The Functions worker's logs (Azure only: with it, the worker instrumentation is registered). */
  logs?: LogRecordExporter;
  /** `service.name` (Application Insights cloud_RoleName) and `service.instance.id`. */
  serviceName?: string;
  serviceInstanceId?: string;
}

export interface Telemetry {
  /** Exports what is buffered now (spans, metrics, logs). */
  flush(): Promise<void>;
  /** Flushes, then stops recording (instruments and tracer become no-ops). */
  shutdown(): Promise<void>;
}

const DEFAULT_SERVICE = 'logic-apps-failover';

/** How long a shutdown waits for the last export. */
const SHUTDOWN_FLUSH_MS = 5_000;

/** The telemetry whose providers are the global ones (a later start replaces them). */
let current: Telemetry | undefined;

/**
 * Registers the providers globally (replacing any earlier ones: one process, one telemetry) and makes the
 * metrics' instruments. Never throws for an exporter's sake: exporting happens later, in the background.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const resource = resourceFromAttributes({
    'service.name': options.serviceName ?? DEFAULT_SERVICE,
    ...(options.serviceInstanceId ? { 'service.instance.id': options.serviceInstanceId } : {}),
  });
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
  const spans = options.spans;
  const tracerProvider = new NodeTracerProvider({
    resource,
    idGenerator: presetIds,
    spanProcessors: spans
      ? [options.spansOneByOne ? new SimpleSpanProcessor(spans) : new BatchSpanProcessor(spans)]
      : [],
  });
  tracerProvider.register();
  const meterProvider = new MeterProvider({
    resource,
    readers: options.metrics
      ? [
          new PeriodicExportingMetricReader({
            exporter: options.metrics,
            exportIntervalMillis: options.metricIntervalMs ?? 60_000,
          }),
        ]
      : [],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  useMeter(meterProvider.getMeter(SCOPE));
  const loggerProvider = options.logs
    ? new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor(options.logs)] })
    : undefined;
  if (loggerProvider) {
    // The worker's invocations run in the host's trace, and its logs go through OpenTelemetry (the host,
    // told so by the capability this sets, stops forwarding them). Registered by hand on the loaded module:
    // the function files have already required @azure/functions.
    const functions = new AzureFunctionsInstrumentationESM({ enabled: false });
    functions.setTracerProvider(tracerProvider);
    functions.setMeterProvider(meterProvider);
    functions.setLoggerProvider(loggerProvider);
    functions.registerAzFunc(azFunc);
  }
  const flush = async () => {
    await Promise.allSettled([
      tracerProvider.forceFlush(),
      meterProvider.forceFlush(),
      ...(loggerProvider ? [loggerProvider.forceFlush()] : []),
    ]);
  };
  const started: Telemetry = {
    flush,
    async shutdown() {
      // An exporter whose backend is gone retries for a while: a stopping process does not wait for it.
      await Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
      // A telemetry started since keeps the global providers and the instruments.
      if (current === started) {
        current = undefined;
        useMeter(undefined);
        trace.disable();
        metrics.disable();
      }
      await Promise.allSettled([
        tracerProvider.shutdown(),
        meterProvider.shutdown(),
        ...(loggerProvider ? [loggerProvider.shutdown()] : []),
      ]);
    },
  };
  current = started;
  return started;
}

/**
 * Application Insights from the app settings the Bicep sets: APPLICATIONINSIGHTS_CONNECTION_STRING and, as
 * the component refuses local auth, APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`ClientId=<identity>;
 * Authorization=AAD`: the user-assigned identity, which holds Monitoring Metrics Publisher). Undefined when no
 * connection string is set (no telemetry from the worker; the host's own still flows).
 */
export function azureMonitorTelemetry(
  settings: Readonly<Record<string, string | undefined>>,
): Telemetry | undefined {
  const connectionString = settings.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return undefined;
  const auth = authenticationOf(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  const options = {
    connectionString,
    ...(auth
      ? { credential: new ManagedIdentityCredential(auth.clientId ? { clientId: auth.clientId } : {}) }
      : {}),
  };
  return startTelemetry({
    spans: new AzureMonitorTraceExporter(options),
    metrics: new AzureMonitorMetricExporter(options),
    logs: new AzureMonitorLogExporter(options),
    serviceName: settings.OTEL_SERVICE_NAME?.trim() || settings.WEBSITE_SITE_NAME?.trim() || DEFAULT_SERVICE,
    ...(settings.WEBSITE_INSTANCE_ID ? { serviceInstanceId: settings.WEBSITE_INSTANCE_ID } : {}),
  });
}

/**
 * `Authorization=AAD` (with an optional `ClientId=`): ingestion authenticates with a managed identity. Anything
 * else in the setting is refused by name, so a typo does not silently fall back to keys the component refuses.
 */
export function authenticationOf(raw: string | undefined): { clientId?: string } | undefined {
  if (!raw?.trim()) return undefined;
  const parts = new Map(
    raw
      .split(';')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const at = p.indexOf('=');
        return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()] as const;
      }),
  );
  if (parts.get('authorization')?.toLowerCase() !== 'aad')
    throw new Error(
      `app setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING is "${raw}": expected "Authorization=AAD" (and "ClientId=<identity client id>")`,
    );
  const clientId = parts.get('clientid');
  return clientId ? { clientId } : {};
}
