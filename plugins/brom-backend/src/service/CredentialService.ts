import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  bromCredentialManagePermission,
  CreateCredentialRequest,
  Credential,
  IssuedCredential,
  RotateCredentialRequest,
} from '@internal/plugin-brom-common';
import { randomUUID } from 'node:crypto';
import { BromUnitOfWork } from '../store/BromRepositories';
import { Actor } from './Actor';
import { ApplicationAccess, applicationForWrite } from './ApplicationAccess';
import { recordAudit } from './AuditService';
import { credentialUsername, generateSecret } from './secrets';

const MAX_LIVE_CREDENTIALS = 2;

export interface CredentialServiceOptions {
  work: BromUnitOfWork;
  access: ApplicationAccess;
  clock: () => Date;
}

/**
 * Broker credentials of applications: at most two live at once, so a rotation can overlap
 * the old and the new secret. A secret is returned once and never stored.
 */
export class CredentialService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #clock: () => Date;

  private constructor(options: CredentialServiceOptions) {
    this.#work = options.work;
    this.#access = options.access;
    this.#clock = options.clock;
  }

  static create(options: CredentialServiceOptions): CredentialService {
    return new CredentialService(options);
  }

  async listCredentials(actor: Actor, application: string): Promise<Credential[]> {
    const app = await this.#access.authorizeOn(
      actor,
      bromCredentialManagePermission,
      application,
    );
    return this.#work.repositories.credentials.listOf(app);
  }

  createCredential(
    actor: Actor,
    application: string,
    request: CreateCredentialRequest,
  ): Promise<IssuedCredential> {
    return this.#issue(actor, application, request.expiresAt ?? null, undefined);
  }

  /**
   * Issues a new credential and lets the older live ones expire after the overlap, so a
   * deployment can switch without a gap.
   */
  rotateCredential(
    actor: Actor,
    application: string,
    request: RotateCredentialRequest,
  ): Promise<IssuedCredential> {
    return this.#issue(
      actor,
      application,
      request.expiresAt ?? null,
      request.overlapSeconds ?? 3600,
    );
  }

  async revokeCredential(
    actor: Actor,
    application: string,
    credentialId: string,
  ): Promise<Credential> {
    const seen = await this.#access.authorizeOn(
      actor,
      bromCredentialManagePermission,
      application,
    );
    return this.#work.write(async repositories => {
      const app = await applicationForWrite(repositories.applications, application, seen, {
        live: false,
      });
      const before = await repositories.credentials.find(app, credentialId);
      if (!before) {
        throw new NotFoundError(`Credential ${credentialId} of "${application}" does not exist`);
      }
      if (before.revokedAt) {
        throw new ConflictError(`Credential ${before.username} is already revoked`);
      }
      const now = this.#clock().toISOString();
      const after = { ...before, revokedAt: now, revokedBy: actor.userEntityRef };
      await repositories.credentials.update(after);
      await recordAudit(repositories.audit, {
        actor,
        at: now,
        action: 'credential.revoked',
        target: after,
        applications: [app],
        before,
        after,
      });
      await repositories.events.append({
        type: 'credential.revoked',
        aggregate: { kind: 'credential', id: after.id },
        actor: actor.userEntityRef,
        at: now,
        credential: after,
      });
      return after;
    });
  }

  async #issue(
    actor: Actor,
    application: string,
    expiresAt: string | null,
    overlapSeconds: number | undefined,
  ): Promise<IssuedCredential> {
    const seen = await this.#access.authorizeOn(
      actor,
      bromCredentialManagePermission,
      application,
    );
    const nowDate = this.#clock();
    const now = nowDate.toISOString();
    if (expiresAt && new Date(expiresAt) <= nowDate) {
      throw new InputError('expiresAt must be in the future');
    }
    const { secret, salt, hash } = generateSecret();
    return this.#work.write(async repositories => {
      const app = await applicationForWrite(repositories.applications, application, seen);
      const live = await repositories.credentials.listLive(app, now);
      if (live.length >= MAX_LIVE_CREDENTIALS) {
        throw new ConflictError(
          overlapSeconds === undefined
            ? `"${application}" already has ${MAX_LIVE_CREDENTIALS} live credentials; revoke one before creating another`
            : `"${application}" already has ${MAX_LIVE_CREDENTIALS} live credentials, so a rotation is under way; revoke the old one to finish it first`,
        );
      }
      const shortened: Credential[] = [];
      if (overlapSeconds !== undefined) {
        const cutoff = new Date(nowDate.getTime() + overlapSeconds * 1000).toISOString();
        for (const old of live) {
          if (old.expiresAt && old.expiresAt <= cutoff) continue;
          const next = { ...old, expiresAt: cutoff };
          await repositories.credentials.update(next);
          await recordAudit(repositories.audit, {
            actor,
            at: now,
            action: 'credential.expiry-shortened',
            target: next,
            applications: [app],
            before: old,
            after: next,
          });
          shortened.push(next);
        }
      }
      const credential: Credential = {
        id: randomUUID(),
        application: app.name,
        username: credentialUsername(app.name),
        createdAt: now,
        createdBy: actor.userEntityRef,
        expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null,
        revokedAt: null,
        revokedBy: null,
      };
      await repositories.credentials.insert(credential, {
        applicationId: app.id,
        salt,
        hash,
      });
      await recordAudit(repositories.audit, {
        actor,
        at: now,
        action: overlapSeconds === undefined ? 'credential.created' : 'credential.rotated',
        target: credential,
        applications: [app],
        after: credential,
      });
      const envelope = {
        aggregate: { kind: 'credential', id: credential.id },
        actor: actor.userEntityRef,
        at: now,
        credential,
      } as const;
      await repositories.events.append(
        overlapSeconds === undefined
          ? { ...envelope, type: 'credential.created' }
          : { ...envelope, type: 'credential.rotated', shortened },
      );
      return { credential, secret };
    });
  }
}
