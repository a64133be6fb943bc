// Activity: probe (see src/activities).
import * as df from 'durable-functions';
import { ACTIVITIES } from '../src/durable/contracts';
import { activities } from '../src/activities/runtime';

df.app.activity(ACTIVITIES.probe, {
  handler: (input: { at?: string } | undefined) => activities().probe(input),
});
