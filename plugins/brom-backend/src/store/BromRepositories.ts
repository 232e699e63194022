import { Kysely } from 'kysely';
import { ApplicationStore, DatabaseApplicationStore } from './ApplicationStore';
import { AuditStore, DatabaseAuditStore } from './AuditStore';
import { BromStore } from './BromStore';
import { CatalogStore, DatabaseCatalogStore } from './CatalogStore';
import { CredentialStore, DatabaseCredentialStore } from './CredentialStore';
import { DatabaseDomainEventOutbox, DomainEventOutbox } from './DomainEventStore';
import {
  DatabaseExternalProducerStore,
  ExternalProducerStore,
} from './ExternalProducerStore';
import {
  DatabaseNotificationTypeStore,
  NotificationTypeStore,
} from './NotificationTypeStore';
import { DatabaseSubscriptionStore, SubscriptionStore } from './SubscriptionStore';
import { DatabaseSyncStatusStore, SyncStatusStore } from './SyncStatusStore';
import { BromTables } from './tables';

/** The portal's repositories, all over one connection or one transaction. */
export interface BromRepositories {
  readonly applications: ApplicationStore;
  readonly externalProducers: ExternalProducerStore;
  readonly notificationTypes: NotificationTypeStore;
  readonly subscriptions: SubscriptionStore;
  readonly credentials: CredentialStore;
  readonly audit: AuditStore;
  readonly events: DomainEventOutbox;
  readonly catalog: CatalogStore;
  readonly syncStatus: SyncStatusStore;
}

/**
 * Hands the services their repositories: outside a transaction for single reads, or inside
 * one write or read transaction that covers several aggregates.
 */
export interface BromUnitOfWork {
  /** For reads that need no transaction. */
  readonly repositories: BromRepositories;
  /**
   * Runs `fn` in one write transaction (which bumps the state version); what it changes,
   * its audit rows and its domain events commit together or not at all.
   */
  write<T>(fn: (repositories: BromRepositories) => Promise<T>): Promise<T>;
  /** Runs `fn` in one read transaction, with the state version it reads at. */
  read<T>(fn: (repositories: BromRepositories, version: number) => Promise<T>): Promise<T>;
}

export class DatabaseUnitOfWork implements BromUnitOfWork {
  readonly #store: BromStore;
  readonly #onCommit: (version: number) => void;
  readonly repositories: BromRepositories;

  private constructor(store: BromStore, onCommit: (version: number) => void) {
    this.#store = store;
    this.#onCommit = onCommit;
    this.repositories = repositoriesOver(store.db);
  }

  static create(options: {
    store: BromStore;
    /** Called after each committed write with the new state version. */
    onCommit?: (version: number) => void;
  }): BromUnitOfWork {
    return new DatabaseUnitOfWork(options.store, options.onCommit ?? (() => {}));
  }

  async write<T>(fn: (repositories: BromRepositories) => Promise<T>): Promise<T> {
    let committed = 0;
    const result = await this.#store.write(async (tx, version) => {
      committed = version;
      return fn(repositoriesOver(tx));
    });
    this.#onCommit(committed);
    return result;
  }

  read<T>(fn: (repositories: BromRepositories, version: number) => Promise<T>) {
    return this.#store.read((tx, version) => fn(repositoriesOver(tx), version));
  }
}

function repositoriesOver(db: Kysely<BromTables>): BromRepositories {
  return {
    applications: DatabaseApplicationStore.create({ db }),
    externalProducers: DatabaseExternalProducerStore.create({ db }),
    notificationTypes: DatabaseNotificationTypeStore.create({ db }),
    subscriptions: DatabaseSubscriptionStore.create({ db }),
    credentials: DatabaseCredentialStore.create({ db }),
    audit: DatabaseAuditStore.create({ db }),
    events: DatabaseDomainEventOutbox.create({ db }),
    catalog: DatabaseCatalogStore.create({ db }),
    syncStatus: DatabaseSyncStatusStore.create({ db }),
  };
}
