// Orchestration: one operator request's audit record (its output), listed by GET /api/history?kind=requests.
import * as df from 'durable-functions';
import { ORCHESTRATIONS } from '../src/durable/contracts';
import { requestRecordOrchestrator } from '../src/orchestrators/request-record';

df.app.orchestration(ORCHESTRATIONS.request, requestRecordOrchestrator);
