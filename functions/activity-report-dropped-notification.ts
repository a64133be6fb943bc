// Activity: reportDroppedNotification, the alert-level log line for an event past its TTL (see src/activities).
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.reportDroppedNotification, {
  handler: (
    input: Parameters<ReturnType<typeof activities>['reportDroppedNotification']>[0],
    context: InvocationContext,
  ) => activities().reportDroppedNotification(input, (line) => context.error(line)),
});
