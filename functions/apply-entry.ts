// Sub-orchestration: one plan entry's steps in order (fence before activation).
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { applyEntryOrchestrator } from '../src/orchestrators/entry';

df.app.orchestration(ORCHESTRATIONS.entry, applyEntryOrchestrator);
