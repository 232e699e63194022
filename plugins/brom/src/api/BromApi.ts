import { createApiRef } from '@backstage/core-plugin-api';
import {
  Application,
  ApplicationHealth,
  ApplicationStatus,
  DeadLetterPeek,
  DeadLetterPurge,
  DeadLetterReplay,
  UnmanagedObjectList,
  AuditEvent,
  Credential,
  IssuedCredential,
  NotificationType,
  Page,
  SortOrder,
  Subscription,
  CreateApplicationRequest,
  UpdateApplicationRequest,
  CreateNotificationTypeRequest,
  UpdateNotificationTypeRequest,
  DeprecateNotificationTypeRequest,
  CreateNotificationTypeVersionRequest,
  RequestSubscriptionRequest,
  RotateCredentialRequest,
  CreateCredentialRequest,
} from '@internal/plugin-brom-common';

export interface PageQuery {
  offset?: number;
  limit?: number;
}

/** A list the server sorts and pages by key (see openapi.yaml). */
export interface SortedPageQuery<S extends string = string> extends PageQuery {
  sort?: S;
  order?: SortOrder;
  /** The previous page's `nextCursor`. */
  cursor?: string;
}

export interface ApplicationQuery extends SortedPageQuery<'name' | 'title' | 'owner'> {
  q?: string;
  owner?: string;
  /** Only the application registered for this catalog entity. */
  entityRef?: string;
  /** Only applications with an approved subscription. */
  consuming?: boolean;
  /** Only applications owned by one of the signed-in user's groups. */
  mine?: boolean;
  /** Also applications that are being deleted (their broker objects are still there). */
  includeDeleted?: boolean;
}

export type SubscriptionListQuery = SortedPageQuery<
  'updatedAt' | 'requestedAt' | 'consumer' | 'producer'
> & { q?: string };

export interface BromHealth {
  status: string;
}

/** Everything the BROM frontend asks of the BROM backend. */
export interface BromApi {
  health(): Promise<BromHealth>;
  listApplications(query?: ApplicationQuery): Promise<Page<Application>>;
  getApplication(name: string): Promise<Application>;
  createApplication(request: CreateApplicationRequest): Promise<Application>;
  updateApplication(
    name: string,
    request: UpdateApplicationRequest,
  ): Promise<Application>;
  deleteApplication(
    name: string,
    generation: number,
    force?: boolean,
  ): Promise<Application>;
  confirmQueueDeletion(name: string, generation: number): Promise<Application>;
  getApplicationStatus(name: string): Promise<ApplicationStatus>;
  /** Administrators only (403 for others). */
  listUnmanagedObjects(): Promise<UnmanagedObjectList>;
  getApplicationHealth(name: string): Promise<ApplicationHealth>;
  /** The first `count` dead letters (default 10); peeking re-queues them. Owners and admins. */
  peekDeadLetters(application: string, count?: number): Promise<DeadLetterPeek>;
  /** Moves the dead letters back to the application's queue; 409 while a replay runs. */
  replayDeadLetters(application: string): Promise<DeadLetterReplay>;
  purgeDeadLetters(application: string): Promise<DeadLetterPurge>;

  listNotificationTypes(
    query?: SortedPageQuery<'producer' | 'name' | 'owner'> & {
      q?: string;
      owner?: string;
      application?: string;
    },
  ): Promise<Page<NotificationType>>;
  createNotificationType(
    application: string,
    request: CreateNotificationTypeRequest,
  ): Promise<NotificationType>;
  updateNotificationType(
    application: string,
    name: string,
    request: UpdateNotificationTypeRequest,
  ): Promise<NotificationType>;
  deleteNotificationType(
    application: string,
    name: string,
    generation: number,
  ): Promise<NotificationType>;
  /** Deprecates a type, or moves the sunset of a deprecated one later. */
  deprecateNotificationType(
    application: string,
    name: string,
    request: DeprecateNotificationTypeRequest,
  ): Promise<NotificationType>;
  /** A new version of a type; the old one is deprecated with it as successor. */
  createNotificationTypeVersion(
    application: string,
    name: string,
    request: CreateNotificationTypeVersionRequest,
  ): Promise<{ notificationType: NotificationType; predecessor: NotificationType }>;

  listSubscriptions(
    query?: SubscriptionListQuery & {
      consumer?: string;
      producer?: string;
      notificationType?: string;
      state?: Subscription['state'];
      mine?: boolean;
    },
  ): Promise<Page<Subscription>>;
  /** Requests waiting on the user's producers (`requested`), or the decided ones. */
  listApprovals(
    query?: SubscriptionListQuery & {
      state?: 'requested' | 'decided' | 'approved' | 'rejected' | 'revoked';
    },
  ): Promise<Page<Subscription>>;
  requestSubscription(
    request: RequestSubscriptionRequest,
  ): Promise<Subscription>;
  approveSubscription(
    id: string,
    generation: number,
    reason?: string,
  ): Promise<Subscription>;
  rejectSubscription(
    id: string,
    generation: number,
    reason: string,
  ): Promise<Subscription>;
  revokeSubscription(
    id: string,
    generation: number,
    reason: string,
  ): Promise<Subscription>;

  listCredentials(application: string): Promise<Credential[]>;
  createCredential(
    application: string,
    request?: CreateCredentialRequest,
  ): Promise<IssuedCredential>;
  rotateCredential(
    application: string,
    request?: RotateCredentialRequest,
  ): Promise<IssuedCredential>;
  revokeCredential(application: string, id: string): Promise<Credential>;

  listAuditEvents(
    query: PageQuery & {
      application?: string;
      actor?: string;
      action?: string;
    },
  ): Promise<Page<AuditEvent>>;
}

export const bromApiRef = createApiRef<BromApi>({ id: 'plugin.brom.api' });
