export {
  startServiceBusBroker,
  BrokerListenError,
  type ServiceBusBroker,
  type ServiceBusBrokerOptions,
  type BrokerStats,
  type TokenRecord,
  type DeadLetteredMessage,
  type OutageMode,
} from './broker';
export type { BrokerMessage, EntityCounts } from './store';
export { EntityNotFoundError } from './store';
export { SAS_TOKEN_TYPE, JWT_TOKEN_TYPE } from './cbs';
