export interface Config {
  /** Configuration of the BROM plugins. */
  brom?: {
    /**
     * Group entity refs whose members administer every BROM application,
     * e.g. `group:default/brom-admins`.
     */
    admins?: string[];
    /** Insert example applications, types and subscriptions into an empty store (development). */
    seedExampleData?: boolean;
    api?: {
      /**
       * Check every JSON response against the plugin's openapi.yaml and answer 500 on a
       * mismatch (requests are always checked). For tests; it costs a schema validation per
       * response. Default false.
       */
      validateResponses?: boolean;
    };
    catalog?: {
      /** How often the catalog module replaces all BROM entities, the safety net under its deltas. Default 600 s (production: 3600). */
      fullRefreshSeconds?: number;
      /**
       * The catalog's scheduler starts a run of long-polls on BROM's change log this often;
       * a run polls again at once after each answer until it has lasted this long, so only a
       * failed run waits for the next. Each answer carries only the rows of the applications
       * a change touched. Default 1 s.
       */
      pollSeconds?: number;
      /** How long one long-poll waits for a change; at most 60. Default 30 s. */
      changeWaitSeconds?: number;
      /** How often the catalog module reads users and groups from sign-ins (published when changed). Default 5 s. */
      orgRefreshSeconds?: number;
    };
    authz?: {
      /**
       * Subjects of the service principals allowed to read the authz snapshot feed: the
       * sidecars' static external-access tokens (restricted to the brom plugin). Default
       * `['brom-sidecar']`.
       */
      sidecarSubjects?: string[];
      /**
       * `live` (default): RabbitMQ asks the sidecar about every resource and routing key.
       * `native`: the sidecar only authenticates and the broker authorises internally, from a
       * broker user and permissions the reconciler writes per live credential. Switch in the
       * order docs/operations.md gives ("Switching the authorisation mode").
       */
      mode?: 'live' | 'native';
    };
    broker?: {
      /** The vhost BROM manages. Default `brom`. */
      vhost?: string;
      /** Prefix of every managed exchange, queue and policy. Default `brom.`. */
      prefix?: string;
      /**
       * AMQP URL applications connect to, e.g. amqp://127.0.0.1:5672: a single node's, or a
       * load balancer's in front of a cluster. Use `amqpUrls` to list a cluster's nodes.
       */
      amqpUrl?: string;
      /** AMQP URL of each node of a cluster, shown to applications in this order (instead of `amqpUrl`). */
      amqpUrls?: string[];
      /**
       * Management API base URL, e.g. http://127.0.0.1:15672: a single node's, or a load
       * balancer's. Use `managementUrls` to list a cluster's nodes.
       */
      managementUrl?: string;
      /**
       * Management API base URL of each node of a cluster (instead of `managementUrl`): the
       * reconciler sends to one and moves to the next when it does not answer or answers 503.
       */
      managementUrls?: string[];
      /** The reconciler's own broker user (internal backend). Default `brom-reconciler`. */
      username?: string;
      /**
       * Its password.
       * @visibility secret
       */
      password?: string;
      /** Type of consumer queues, fixed at creation. Default `quorum`. */
      queueType?: 'quorum' | 'classic';
      /** Priority of BROM's policies, so operators can reason about overlap. Default 10. */
      policyPriority?: number;
      /** Timeout of each management API request. Default 10000 ms. */
      requestTimeoutMs?: number;
    };
    /** What BROM tells people through Backstage's notifications. */
    notifications?: {
      /**
       * Send notifications (and run the scheduled checks) from this backend. Default true; with
       * several replicas any one may send, and each event is sent once whichever does.
       */
      enabled?: boolean;
      /** How often the scheduled checks (credential expiry, broker status) run. Default 60 s. */
      checkIntervalSeconds?: number;
      /** Days before a credential's expiry at which its owners hear of it. Default [14, 3, 1]. */
      expiryWarningDays?: number[];
      /** How long an application's broker objects may be not ready before its owners hear. Default 10. */
      notReadyMinutes?: number;
    };
    /** Applications that publish on another RabbitMQ, brought in by a shovel (docs/operations.md). */
    externalProducers?: {
      /** Whether applications may be registered as external producers. Default false. */
      enabled?: boolean;
      /**
       * 32 random bytes in base64 (`openssl rand -base64 32`): encrypts upstream passwords at
       * rest (AES-256-GCM). Required when enabled or when any external producer exists.
       * @visibility secret
       */
      encryptionKey?: string;
      /**
       * Keys rotated out (same format): they open passwords they sealed, which every start
       * re-seals with encryptionKey; remove them once re-sealed (docs/operations.md).
       * @visibility secret
       */
      previousEncryptionKeys?: string[];
    };
    reconciler?: {
      /** Run the reconciler in this backend (needs broker.managementUrl). Default true. */
      enabled?: boolean;
      /** Full resync period that repairs drift. Default 60 s. */
      resyncSeconds?: number;
      /** First retry delay of a failing object; doubles per failure. Default 1000 ms. */
      backoffBaseMs?: number;
      /** Longest retry delay. Default 300000 ms. */
      backoffCapMs?: number;
      /** Broker writes in flight at once. Default 8. */
      concurrency?: number;
      /** Sidecars not seen for this long no longer hold up revocations. Default 90 s. */
      sidecarStaleSeconds?: number;
      /**
       * How long after a revocation the reconciler keeps looking (once a second) for the
       * revoked users' connections to close: a login the broker was still completing when
       * the sidecars took the new snapshot can open its connection just after the first
       * look. Default 15 s.
       */
      revocationGraceSeconds?: number;
    };
    /** Every consumer's dead-letter queue (docs/operations.md, "Dead letters"). */
    deadLetters?: {
      /**
       * Most messages a dead-letter queue holds, through one policy the reconciler manages
       * for every consumer's dead-letter queue (`brom._dead-letters`). Default 10000.
       */
      maxLength?: number;
      /**
       * What happens to a dead letter beyond the bound: `drop-head` (default) drops the
       * oldest, `reject-publish` the newest. Quorum queues honour no other (3.10 takes `reject-publish-dlx` but drops the head).
       */
      overflow?: 'drop-head' | 'reject-publish';
    };
    lifecycle?: {
      /**
       * The least a sunset may lie ahead when a producer deprecates a notification type (or
       * creates a new version of one), so that subscribers have time to move. Default 30.
       */
      minimumSunsetDays?: number;
      /**
       * How often the sunset task (Backstage scheduler, one replica at a time) ends the
       * subscriptions of types whose sunset has come. Default 300 s.
       */
      sunsetCheckSeconds?: number;
    };
  };
}
