import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  Application,
  ExternalProducer,
  ExternalProducerRequest,
  bromApplicationCreatePermission,
  bromApplicationDeletePermission,
  bromApplicationUpdatePermission,
  CreateApplicationRequest,
  Page,
  UpdateApplicationRequest,
} from '@internal/plugin-brom-common';
import { randomUUID } from 'node:crypto';
import { ApplicationListQuery } from '../store/ApplicationStore';
import { BromRepositories, BromUnitOfWork } from '../store/BromRepositories';
import { Actor } from './Actor';
import {
  ApplicationAccess,
  applicationForWrite,
  getApplication,
} from './ApplicationAccess';
import { assertGeneration, nextGeneration } from './concurrency';
import {
  DistributiveOmit,
  DomainEventBody,
  recordChange,
} from './recordChange';
import { SecretBox } from './secretBox';
import { softDelete } from './softDelete';
import { SubscriptionService } from './SubscriptionService';

export interface ApplicationServiceOptions {
  work: BromUnitOfWork;
  access: ApplicationAccess;
  subscriptions: SubscriptionService;
  /** Names an application may not take: broker users and RabbitMQ's own. */
  reservedNames: string[];
  /**
   * Whether applications may be registered as external producers, and the box that seals
   * their upstream passwords (null when no key is configured).
   */
  externalProducers?: { enabled: boolean; secrets: SecretBox | null };
  clock: () => Date;
}

/** Teams register applications, which produce and consume notifications. */
export class ApplicationService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #subscriptions: SubscriptionService;
  readonly #reserved: Set<string>;
  readonly #clock: () => Date;
  readonly #external: { enabled: boolean; secrets: SecretBox | null };

  private constructor(options: ApplicationServiceOptions) {
    this.#external = options.externalProducers ?? { enabled: false, secrets: null };
    this.#work = options.work;
    this.#access = options.access;
    this.#subscriptions = options.subscriptions;
    this.#reserved = new Set(options.reservedNames);
    this.#clock = options.clock;
  }

  static create(options: ApplicationServiceOptions): ApplicationService {
    return new ApplicationService(options);
  }

  listApplications(query: ApplicationListQuery): Promise<Page<Application>> {
    return this.#work.repositories.applications.list(query);
  }

  getApplication(name: string): Promise<Application> {
    return getApplication(this.#work.repositories.applications, name);
  }

  /** The applications of the given names, undefined where there is none (permission lookups). */
  async getApplications(
    names: string[],
  ): Promise<Array<Application | undefined>> {
    const found = await this.#work.repositories.applications.findByNames(names);
    return names.map(name => found.find(a => a.name === name));
  }

  async createApplication(
    actor: Actor,
    request: CreateApplicationRequest,
  ): Promise<Application> {
    await this.#access.authorize(actor, bromApplicationCreatePermission);
    this.#assertNameAllowed(request.name);
    if (!(await this.#access.actsFor(actor, request.owner))) {
      throw new NotAllowedError(
        `You can only register applications for a group you belong to; you are not a member of ${request.owner}`,
      );
    }
    const now = this.#now();
    const application: Application = {
      id: randomUUID(),
      name: request.name,
      title: request.title?.trim() || request.name,
      description: request.description ?? '',
      owner: request.owner,
      entityRef: request.entityRef ?? null,
      settings: {
        messageTtlMs: request.settings?.messageTtlMs ?? null,
        maxLength: request.settings?.maxLength ?? null,
      },
      externalProducer: request.externalProducer
        ? toExternalProducer(request.externalProducer)
        : null,
      generation: 1,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      queueDeletionConfirmedAt: null,
    };
    return this.#work.write(async repositories => {
      const existing = await repositories.applications.findByName(request.name);
      if (existing) {
        throw new ConflictError(
          existing.deletedAt
            ? `Application "${request.name}" is being deleted; choose another name or wait until its broker objects are removed`
            : `Application "${request.name}" already exists`,
        );
      }
      await repositories.applications.insert(application, {
        createdBy: actor.userEntityRef,
      });
      if (request.externalProducer) {
        await this.#putExternalProducer(repositories, application, request.externalProducer, undefined);
      }
      await this.#recordChange(repositories, actor, 'application.created', {
        after: application,
        event: { type: 'application.registered' },
      });
      return application;
    });
  }

  async updateApplication(
    actor: Actor,
    name: string,
    request: UpdateApplicationRequest,
  ): Promise<Application> {
    const seen = await this.#access.authorizeOn(
      actor,
      bromApplicationUpdatePermission,
      name,
    );
    if (
      request.owner &&
      request.owner !== seen.owner &&
      !(await this.#access.actsFor(actor, request.owner))
    ) {
      throw new NotAllowedError(
        `You can only hand an application to a group you belong to; you are not a member of ${request.owner}`,
      );
    }
    return this.#work.write(async repositories => {
      const before = await applicationForWrite(
        repositories.applications,
        name,
        seen,
      );
      assertGeneration(`Application "${name}"`, before, request.generation);
      const after = nextGeneration(before, this.#now(), {
        title:
          request.title?.trim() ||
          (request.title === undefined ? before.title : before.name),
        description: request.description ?? before.description,
        owner: request.owner ?? before.owner,
        entityRef:
          request.entityRef === undefined
            ? before.entityRef
            : request.entityRef,
        settings: {
          messageTtlMs:
            request.settings?.messageTtlMs === undefined
              ? before.settings.messageTtlMs
              : request.settings.messageTtlMs,
          maxLength:
            request.settings?.maxLength === undefined
              ? before.settings.maxLength
              : request.settings.maxLength,
        },
        externalProducer:
          request.externalProducer === undefined
            ? before.externalProducer
            : request.externalProducer && toExternalProducer(request.externalProducer),
      });
      await repositories.applications.update(after);
      if (request.externalProducer === null) {
        await repositories.externalProducers.remove(after.id);
      } else if (request.externalProducer) {
        await this.#putExternalProducer(
          repositories,
          after,
          request.externalProducer,
          await repositories.externalProducers.find(after.id),
        );
      }
      await this.#recordChange(repositories, actor, 'application.updated', {
        before,
        after,
        event: { type: 'application.updated' },
      });
      return after;
    });
  }

  async deleteApplication(
    actor: Actor,
    name: string,
    request: { generation: number; force: boolean },
  ): Promise<Application> {
    const seen = await this.#access.authorizeDeletion(
      actor,
      bromApplicationDeletePermission,
      name,
      request.force,
    );
    return this.#work.write(async repositories => {
      const before = await applicationForWrite(
        repositories.applications,
        name,
        seen,
      );
      const now = this.#now();
      const subscribers = await repositories.subscriptions.listLive({
        producerId: before.id,
      });
      const after = await softDelete({
        what: `Application "${name}"`,
        current: before,
        request,
        // Its own subscriptions to its own types go with it.
        subscribers: subscribers.filter(s => s.consumer !== name),
        revoke: subscription =>
          this.#subscriptions.forceRevoke(
            repositories,
            actor,
            subscription,
            `Producer "${name}" was deleted by an administrator`,
          ),
        save: next =>
          repositories.applications.update(next, {
            deletedBy: actor.userEntityRef,
          }),
        now,
      });
      await this.#recordChange(
        repositories,
        actor,
        request.force ? 'application.force-deleted' : 'application.deleted',
        {
          before,
          after,
          event: { type: 'application.deleted', forced: request.force },
        },
      );
      return after;
    });
  }

  /** Records that the owner accepts losing the messages still in the consumer's queue. */
  async confirmQueueDeletion(
    actor: Actor,
    name: string,
    request: { generation: number },
  ): Promise<Application> {
    const seen = await this.#access.authorizeOn(
      actor,
      bromApplicationDeletePermission,
      name,
    );
    return this.#work.write(async repositories => {
      const before = await applicationForWrite(
        repositories.applications,
        name,
        seen,
        {
          live: false,
        },
      );
      if (!before.deletedAt) {
        throw new ConflictError(
          `Application "${name}" is not being deleted; delete it first, then confirm the deletion of its queue`,
        );
      }
      assertGeneration(`Application "${name}"`, before, request.generation);
      const now = this.#now();
      const after = nextGeneration(before, now, {
        queueDeletionConfirmedAt: now,
      });
      await repositories.applications.update(after, {
        queueDeletionConfirmedBy: actor.userEntityRef,
      });
      await this.#recordChange(
        repositories,
        actor,
        'application.queue-deletion-confirmed',
        {
          before,
          after,
          event: { type: 'application.queueDeletionConfirmed' },
        },
      );
      return after;
    });
  }

  async #recordChange(
    repositories: BromRepositories,
    actor: Actor,
    action: string,
    change: {
      before?: Application;
      after: Application;
      event: DistributiveOmit<
        Extract<DomainEventBody, { aggregate: { kind: 'application' } }>,
        'aggregate' | 'application'
      >;
    },
  ) {
    await recordChange(repositories, {
      actor,
      at: this.#now(),
      action,
      target: change.after,
      applications: [change.after],
      before: change.before ?? null,
      after: change.after,
      event: {
        ...change.event,
        aggregate: { kind: 'application', id: change.after.id },
        application: change.after,
      },
    });
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  /** Stores the upstream, the password sealed (or the stored one kept when none is given). */
  async #putExternalProducer(
    repositories: BromRepositories,
    application: Application,
    request: ExternalProducerRequest,
    existing: { password_encrypted: string; created_at: string } | undefined,
  ) {
    const { enabled, secrets } = this.#external;
    if (!enabled || !secrets) {
      throw new InputError(
        'External producers are not enabled on this portal (brom.externalProducers.enabled and encryptionKey)',
      );
    }
    if (request.password === undefined && !existing) {
      throw new InputError(
        'externalProducer.password is required to register an external producer',
      );
    }
    const producer = toExternalProducer(request);
    const now = this.#now();
    await repositories.externalProducers.put({
      application_id: application.id,
      upstream_uri: producer.upstreamUri,
      upstream_exchange: producer.upstreamExchange,
      upstream_routing_key: producer.upstreamRoutingKey,
      upstream_queue: producer.upstreamQueue,
      username: producer.username,
      password_encrypted:
        request.password === undefined
          ? existing!.password_encrypted
          : secrets.seal(request.password, application.id),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    });
  }

  #assertNameAllowed(name: string) {
    if (this.#reserved.has(name) || name.startsWith('amq')) {
      throw new InputError(
        `Application name "${name}" is reserved (guest, admin, the portal's broker user and names starting with "amq" are); choose another`,
      );
    }
  }
}

/** What the API shows of an external producer: everything but the password. */
function toExternalProducer(request: ExternalProducerRequest): ExternalProducer {
  const exchange = request.upstreamExchange || null;
  return {
    upstreamUri: request.upstreamUri,
    upstreamExchange: exchange,
    upstreamRoutingKey: exchange ? request.upstreamRoutingKey || '#' : null,
    upstreamQueue: exchange ? null : request.upstreamQueue || null,
    username: request.username,
  };
}
