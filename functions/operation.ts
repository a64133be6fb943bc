// Orchestration: one failover or failback, group by group.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { operationOrchestrator } from '../src/orchestrators/operation';

df.app.orchestration(ORCHESTRATIONS.operation, operationOrchestrator);
