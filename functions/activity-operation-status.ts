// Activity: operationStatus, through the durable client (see src/activities): the monitor's fallback for a lost operation-finished signal.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities, durableClient } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.operationStatus, {
  extraInputs: [df.input.durableClient()],
  handler: (
    input: Parameters<ReturnType<typeof activities>['operationStatus']>[0],
    context: InvocationContext,
  ) => activities().operationStatus(input, durableClient(context)),
});
