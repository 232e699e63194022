import {
  connectionEnvironment,
  IssuedCredential,
} from '@internal/plugin-brom-common';
import { BrokerSettings } from '../common/useBrokerSettings';

export interface ConnectionSettings {
  /**
   * `AMQP_URL=…` with the credential in it, for an environment file or a secret store;
   * `AMQP_URLS=…,…` (one per node) for a cluster.
   */
  environment: string;
}

/**
 * Connection settings for a newly issued credential. The client code for the application's
 * role is on the connection card, which reads the same variable.
 */
export function connectionSettings(
  broker: BrokerSettings,
  issued: IssuedCredential,
): ConnectionSettings {
  return {
    environment: connectionEnvironment(
      broker,
      issued.credential.username,
      issued.secret,
    ),
  };
}
