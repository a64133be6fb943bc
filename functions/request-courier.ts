// Orchestration: a queued request's courier, raising it to the monitor again until it is answered or its TTL passes.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { requestCourierOrchestrator } from '../src/orchestrators/request';

df.app.orchestration(ORCHESTRATIONS.courier, requestCourierOrchestrator);
