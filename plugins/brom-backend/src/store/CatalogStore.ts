import {
  Application,
  NotificationType,
  Subscription,
} from '@internal/plugin-brom-common';
import { Kysely } from 'kysely';
import { toApplication, toDeprecation, toNotificationType, toSubscription } from './mappers';
import { BromTables } from './tables';

/** The live part of the desired state, as the catalog shows it. */
export interface LiveState {
  /** Live applications by name. */
  applications: Application[];
  /** Live types of live applications, by name. */
  notificationTypes: NotificationType[];
  /** Approved subscriptions of live consumers to live types. */
  approvedSubscriptions: Subscription[];
}

export interface CatalogStore {
  liveState(): Promise<LiveState>;
}

export class DatabaseCatalogStore implements CatalogStore {
  readonly #db: Kysely<BromTables>;

  private constructor(db: Kysely<BromTables>) {
    this.#db = db;
  }

  static create(options: { db: Kysely<BromTables> }): CatalogStore {
    return new DatabaseCatalogStore(options.db);
  }

  async liveState(): Promise<LiveState> {
    const apps = await this.#db
      .selectFrom('brom_applications')
      .selectAll()
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
    const names = new Map(apps.map(a => [a.id, a.name]));
    const types = (
      await this.#db
        .selectFrom('brom_notification_types')
        .selectAll()
        .where('deleted_at', 'is', null)
        .orderBy('name')
        .execute()
    ).filter(t => names.has(t.application_id));
    const typeById = new Map(types.map(t => [t.id, t]));
    const subscriptions = (
      await this.#db
        .selectFrom('brom_subscriptions')
        .selectAll()
        .where('state', '=', 'approved')
        .execute()
    ).filter(
      s => names.has(s.consumer_application_id) && typeById.has(s.notification_type_id),
    );
    return {
      applications: apps.map(toApplication),
      notificationTypes: types.map(t => toNotificationType(t, names.get(t.application_id)!)),
      approvedSubscriptions: subscriptions.map(s => {
        const type = typeById.get(s.notification_type_id)!;
        return toSubscription(s, {
          consumer: names.get(s.consumer_application_id)!,
          producer: names.get(type.application_id)!,
          notificationType: type.name,
          routingKeyPattern: type.routing_key_pattern,
          deprecation: toDeprecation(type),
        });
      }),
    };
  }
}
