/**
 * OpenTelemetry for `npm start`: with OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318 of a collector,
 * Jaeger or the .NET Aspire dashboard) every span and metric goes there over OTLP/HTTP (the exporters read the
 * standard OTEL_EXPORTER_OTLP_* variables themselves); without it, each operation's span and its group spans are
 * printed to the console as one line each. OTEL_SDK_DISABLED=true turns it off.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '../../src/telemetry/otel';
import { SPANS } from '../../src/telemetry/tracing';

/** Metrics every 10 s: a local dashboard should move while the demo runs. */
const LOCAL_METRIC_INTERVAL_MS = 10_000;

export function startLocalTelemetry(
  env: Readonly<Record<string, string | undefined>>,
  print: (line: string) => void,
): { telemetry: Telemetry; where: string } | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || 'logic-apps-failover-local';
  if (endpoint)
    return {
      telemetry: startTelemetry({
        spans: new OTLPTraceExporter(),
        metrics: new OTLPMetricExporter(),
        metricIntervalMs: LOCAL_METRIC_INTERVAL_MS,
        serviceName,
      }),
      where: `OTLP/HTTP ${endpoint} (traces and metrics)`,
    };
  return {
    telemetry: startTelemetry({ spans: consoleOperationSpans(print), spansOneByOne: true, serviceName }),
    where: 'console: one line per operation and group span (set OTEL_EXPORTER_OTLP_ENDPOINT for everything)',
  };
}

/** One line per operation or group span, with its trace id, duration and outcome; the rest is left out. */
function consoleOperationSpans(print: (line: string) => void): SpanExporter {
  const shown = new Set<string>([SPANS.operation, SPANS.group]);
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      for (const s of spans.filter((x) => shown.has(x.name))) {
        const ms = hrTimeToMilliseconds(s.duration);
        const attrs = Object.entries(s.attributes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        print(
          `otel ${s.name} ${(ms / 1000).toFixed(1)} s trace=${s.spanContext().traceId} span=${s.spanContext().spanId}` +
            `${s.parentSpanContext ? ` parent=${s.parentSpanContext.spanId}` : ''} ${attrs}`,
        );
      }
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
}
