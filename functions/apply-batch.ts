// Sub-orchestration: a group's plain enables and disables, batched (all fences, then all activations).
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { applyBatchOrchestrator } from '../src/orchestrators/entry';

df.app.orchestration(ORCHESTRATIONS.batch, applyBatchOrchestrator);
