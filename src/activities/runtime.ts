/** Activities over the process's control plane (composition root); cheap to build per invocation. */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { activityDeps } from '../composition';
import type { DurableClient } from '../durable/client';
import { createActivities } from './index';

export const activities = () => createActivities(activityDeps());

export const durableClient = (context: InvocationContext): DurableClient => df.getClient(context);
