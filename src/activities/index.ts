/**
 * The activities: every side effect of the orchestrations, built over ports so tests wire the same code to
 * adapters pointed at local protocol servers. One file per concern; this one composes them into the one map
 * that src/durable/contracts.ts derives the typed activity calls from.
 */
import type { ActivityDeps } from './context';
import { actionActivities } from './actions';
import { driftActivities } from './drift';
import { durableActivities } from './durable';
import { notifyActivities } from './notify';
import { planningActivities } from './planning';
import { probeActivities } from './probe';
import { readBackActivities } from './read-back';
import { requestActivities } from './requests';
import { runsActivities } from './runs';
import { telemetryActivities } from './telemetry';

export type { ActivityDeps } from './context';

export function createActivities(deps: ActivityDeps) {
  const context = { ...deps, now: deps.now ?? (() => new Date()) };
  return {
    ...probeActivities(context),
    ...planningActivities(context),
    ...actionActivities(context),
    ...readBackActivities(context),
    ...runsActivities(context),
    ...requestActivities(context),
    ...notifyActivities(context),
    ...durableActivities(context),
    ...driftActivities(context),
    ...telemetryActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
