// Activity: recordOperation, an operation's span, group spans and metrics, written once at its end (see src/activities/telemetry.ts).
import { registerActivity } from '../src/composition';

registerActivity('recordOperation');
