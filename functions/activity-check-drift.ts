// Activity: checkDrift, through the durable client (see src/activities/drift.ts): the last operation's record, its workflows read, held to what it left.
import { registerClientActivity } from '../src/composition';

registerClientActivity('checkDrift');
