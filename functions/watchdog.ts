// Timer: keeps the plan's monitor orchestration alive and hands it each tick (schedule: app setting DR_WATCHDOG_SCHEDULE, default every 30 s).
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane, watchdogSchedule } from '../src/composition';
import { createWatchdogHandler } from '../src/triggers/watchdog';

app.timer('drWatchdog', {
  schedule: watchdogSchedule(),
  extraInputs: [df.input.durableClient()],
  handler: createWatchdogHandler(() => controlPlane().plan),
});
