export interface Config {
  brom?: {
    broker?: {
      /**
       * AMQP URL applications connect to, shown in ready-to-paste connection settings.
       * @visibility frontend
       */
      amqpUrl?: string;
      /**
       * AMQP URL of each node of a cluster (instead of `amqpUrl`), all shown in connection settings.
       * @visibility frontend
       */
      amqpUrls?: string[];
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
