/**
 * Every ARM request attempt as a client span (Application Insights `dependencies`) and as metrics: requests,
 * 429s and SDK retries by plan region and kind (read or write). Installed in every ARM client's pipeline by
 * armClientKit, once per attempt (after the retry policy), so a retried request counts each attempt it took.
 * The region is the plan's (primary or secondary), found from the resource group in the request's path.
 */
import type {
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  SendRequest,
} from '@azure/core-rest-pipeline';
import { parseWorkflowId } from '../../core/refs';
import type { Plan } from '../../plan/schema';
import { recordArmAttempt } from '../../telemetry/metrics';
import { endArmSpan, startArmSpan } from '../../telemetry/tracing';

/** Which plan region a request path is about: `primary`, `secondary`, or `other`. */
export type ArmRegionOf = (path: string) => string;

const RESOURCE_GROUP = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)/i;
const rgKey = (subscriptionId: string, resourceGroup: string) =>
  `${subscriptionId}/${resourceGroup}`.toLowerCase();

/**
 * The plan's resource groups by region: each region's own, and those of workflows named by full resource id.
 * A resource group both regions use says `shared`.
 */
export function armRegionsOf(plan: Plan): ArmRegionOf {
  const regions = new Map<string, string>();
  const add = (key: string, region: string) => {
    const had = regions.get(key);
    regions.set(key, had && had !== region ? 'shared' : region);
  };
  for (const region of ['primary', 'secondary'] as const) {
    const r = plan[region];
    add(rgKey(r.subscriptionId, r.resourceGroup), region);
    for (const w of plan.workflows) {
      const ref = w[region];
      const id = typeof ref === 'string' ? parseWorkflowId(ref) : undefined;
      if (id) add(rgKey(id.subscriptionId, id.resourceGroup), region);
    }
  }
  return (path) => {
    const m = RESOURCE_GROUP.exec(path);
    return (m && regions.get(rgKey(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)))) ?? 'other';
  };
}

let regionOf: ArmRegionOf = () => 'other';

/** The composition root names the plan's regions (each time it builds or installs a control plane). */
export function useArmRegions(of: ArmRegionOf | undefined): void {
  regionOf = of ?? (() => 'other');
}

/**
 * What an ARM path does, without names: `Microsoft.Logic/workflows/disable`, `Microsoft.Web/sites/config`.
 * After the provider namespace, segments alternate type and name; a trailing one is a collection or an action.
 */
export function armOperationOf(path: string): string {
  const segments = path.split('/').filter(Boolean);
  const p = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
  if (p < 0) return segments.length > 2 ? 'resourceGroups' : 'subscriptions';
  const [namespace, ...rest] = segments.slice(p + 1);
  return [namespace ?? '', ...rest.filter((_, i) => i % 2 === 0)].join('/');
}

export function armTelemetryPolicy(): PipelinePolicy {
  // The retry policy sends the same request object again: one seen before is a retry.
  const seen = new WeakSet<PipelineRequest>();
  return {
    name: 'armTelemetry',
    sendRequest: async (request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> => {
      const retry = seen.has(request);
      seen.add(request);
      let url: URL | undefined;
      try {
        url = new URL(request.url);
      } catch {
        return next(request);
      }
      const kind = request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
      const region = regionOf(url.pathname);
      const span = startArmSpan(`ARM ${request.method} ${armOperationOf(url.pathname)}`, {
        'http.request.method': request.method,
        'server.address': url.hostname,
        'url.full': `${url.origin}${url.pathname}`,
        'dr.region': region,
        'dr.arm.kind': kind,
        'dr.arm.retry': retry,
      });
      const started = performance.now();
      try {
        const response = await next(request);
        endArmSpan(span, response.status);
        recordArmAttempt({
          region,
          kind,
          status: response.status,
          durationMs: performance.now() - started,
          retry,
        });
        return response;
      } catch (err) {
        const status = (err as { statusCode?: unknown }).statusCode;
        endArmSpan(span, typeof status === 'number' ? status : undefined, err);
        recordArmAttempt({
          region,
          kind,
          ...(typeof status === 'number' ? { status } : { errorType: errorTypeOf(err) }),
          durationMs: performance.now() - started,
          retry,
        });
        throw err;
      }
    },
  };
}

/** What went wrong when ARM did not answer: the transport's code (ECONNREFUSED, ...), or the error's name. */
function errorTypeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code) return code;
  return err instanceof Error ? err.name : 'error';
}
