// Timer: once a day, purges finished notifications and operation sub-orchestrations older than DR_RETENTION (default P90D); operations (the audit records) stay.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane, handlerNow } from '../src/composition';
import { createPurgeHandler, DEFAULT_RETENTION_MS } from '../src/durable/purge';

app.timer('drPurgeTaskHub', {
  schedule: '0 17 3 * * *',
  extraInputs: [df.input.durableClient()],
  handler: createPurgeHandler(
    () => controlPlane().plan,
    () => controlPlane().retentionMs ?? DEFAULT_RETENTION_MS,
    handlerNow,
  ),
});
