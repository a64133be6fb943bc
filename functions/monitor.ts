// Orchestration: the per-plan monitor (probe, decide, start operations), one signal per execution.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { monitorOrchestrator } from '../src/orchestrators/monitor';

df.app.orchestration(ORCHESTRATIONS.monitor, monitorOrchestrator);
