export interface Config {
  brom?: {
    broker?: {
      /**
       * AMQP URL applications connect to, shown in ready-to-paste connection settings.
       * @visibility frontend
       */
      amqpUrl?: string;
      /**
       * The vhost BROM manages.
       * @visibility frontend
       */
      vhost?: string;
      /**
       * Prefix of every managed exchange and queue.
       * @visibility frontend
       */
      prefix?: string;
    };
  };
}
