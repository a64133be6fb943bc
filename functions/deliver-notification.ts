// Sub-orchestration: one notification with bounded retries, in parallel with an operation's work.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { deliverNotificationOrchestrator } from '../src/orchestrators/notify';

df.app.orchestration(ORCHESTRATIONS.deliver, deliverNotificationOrchestrator);
