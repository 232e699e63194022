import { CatalogChanges, CatalogExport } from '@internal/plugin-brom-common';
import { LiveState } from '../store/CatalogStore';
import { BromUnitOfWork } from '../store/BromRepositories';

/** Above this many domain events since the caller's position, it reads the whole export instead. */
const MAX_CATALOG_CHANGES = 200;

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

  /** Read at one state version and change-log position, which the export carries. */
  catalogExport(): Promise<CatalogExport> {
    return this.#work.read(async (repositories, version) => {
      const sequence = await repositories.catalog.latestSequence();
      return this.#export(version, sequence, await repositories.catalog.liveState());
    });
  }

  /**
   * What changed since the change-log position `after`, read at one state version: the
   * applications whose entities may have changed and their live rows only.
   */
  catalogChanges(after: number): Promise<CatalogChanges> {
    return this.#work.read(async (repositories, version) => {
      const { sequence, applications } = await repositories.catalog.changesSince(
        after,
        MAX_CATALOG_CHANGES,
      );
      if (!applications) return { sequence, version, full: true };
      return {
        sequence,
        version,
        full: false,
        applications,
        export: this.#export(
          version,
          sequence,
          applications.length
            ? await repositories.catalog.liveState(applications)
            : { applications: [], notificationTypes: [], approvedSubscriptions: [] },
        ),
      };
    });
  }

  #export(version: number, sequence: number, state: LiveState): CatalogExport {
    return {
      version,
      sequence,
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
  }
}
