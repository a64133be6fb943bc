// Orchestration: the outbox's delivery of one notification, retried with backoff until sent or its TTL passes.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { deliveryOrchestrator } from '../src/orchestrators/notify';

df.app.orchestration(ORCHESTRATIONS.deliver, deliveryOrchestrator);
