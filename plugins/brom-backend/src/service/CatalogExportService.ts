import { CatalogExport } from '@internal/plugin-brom-common';
import { BromUnitOfWork } from '../store/BromRepositories';

/** BROM's state as the catalog module reads it: live applications, types and subscriptions. */
export class CatalogExportService {
  readonly #work: BromUnitOfWork;
  readonly #broker: CatalogExport['broker'];

  private constructor(options: { work: BromUnitOfWork; broker: CatalogExport['broker'] }) {
    this.#work = options.work;
    this.#broker = options.broker;
  }

  static create(options: {
    work: BromUnitOfWork;
    /** Where the broker is, as the catalog tells clients. */
    broker: CatalogExport['broker'];
  }): CatalogExportService {
    return new CatalogExportService(options);
  }

  /** Read at one state version, which the export carries. */
  catalogExport(): Promise<CatalogExport> {
    return this.#work.read(async (repositories, version) => {
      const state = await repositories.catalog.liveState();
      return {
        version,
        broker: this.#broker,
        applications: state.applications.map(a => ({
          name: a.name,
          title: a.title,
          description: a.description,
          owner: a.owner,
          entityRef: a.entityRef,
        })),
        notificationTypes: state.notificationTypes.map(t => ({
          application: t.application,
          name: t.name,
          routingKeyPattern: t.routingKeyPattern,
          description: t.description,
          payloadSchema: t.payloadSchema,
          deprecation: t.deprecation,
        })),
        subscriptions: state.approvedSubscriptions.map(s => ({
          consumer: s.consumer,
          producer: s.producer,
          notificationType: s.notificationType,
        })),
      };
    });
  }
}
