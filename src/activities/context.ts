/** What every activity factory is built over: the plan and the ports (tests wire adapters to local servers). */
import type { LogicAppsControl } from '../adapters/logicapps/port';
import type { RouterControl } from '../adapters/routers/port';
import type { HealthProbe } from '../adapters/probe';
import type { Notifier } from '../adapters/servicebus';
import type { Plan } from '../plan/schema';

export interface ActivityDeps {
  plan: Plan;
  control: LogicAppsControl;
  /** The routers in front of Request triggers (API Management, Front Door, Traffic Manager). */
  routers?: RouterControl;
  probe: HealthProbe;
  /** Undefined when the plan configures no notifications. */
  notifier?: Notifier;
  now?: () => Date;
  /** How long a notification's delivery keeps retrying before it is dropped with an alert (DR_NOTIFY_TTL). */
  notificationTtlMs?: number;
  /** How long fences against a region answering with errors are retried per group (DR_FENCE_BUDGET). */
  fenceBudgetMs?: number;
}

/** ActivityDeps with the clock resolved. */
export interface ActivityContext extends ActivityDeps {
  now: () => Date;
}
