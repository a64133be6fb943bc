/** The in-process Functions + Durable host: public surface. */
export {
  startFunctionsHost,
  type DurableHandle,
  type FunctionsHost,
  type FunctionsHostOptions,
  type HostClockHandle,
  type HostLogEntry,
  type HostStats,
} from './host';
export type { FunctionRegistration, FunctionKind, HttpTriggerInfo, TimerTriggerInfo } from './registrations';
export type { InstanceStatus, InstanceFilter, DurableStats } from './durable/engine';
export type { RuntimeStatus } from './durable/store';
export type { StoredEvent } from './durable/history';
export { parseNcrontab, nextOccurrence, type NcrontabSchedule } from './ncrontab';
export * from './errors';
