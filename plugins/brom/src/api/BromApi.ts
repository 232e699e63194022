import { createApiRef } from '@backstage/core-plugin-api';
import {
  Application,
  ApplicationHealth,
  ApplicationStatus,
  AuditEvent,
  Credential,
  IssuedCredential,
  NotificationType,
  Page,
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

export interface ApplicationQuery extends PageQuery {
  q?: string;
  owner?: string;
  /** Only applications owned by one of the signed-in user's groups. */
  mine?: boolean;
  /** Also applications that are being deleted (their broker objects are still there). */
  includeDeleted?: boolean;
}

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
  getApplicationHealth(name: string): Promise<ApplicationHealth>;

  listNotificationTypes(
    query?: PageQuery & { q?: string; owner?: string; application?: string },
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
    query?: PageQuery & {
      consumer?: string;
      producer?: string;
      notificationType?: string;
      state?: Subscription['state'];
      mine?: boolean;
    },
  ): Promise<Page<Subscription>>;
  listApprovals(query?: PageQuery): Promise<Page<Subscription>>;
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
