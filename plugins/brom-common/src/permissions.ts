import {
  createPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';

/** The permission resource type of a BROM application; its resource ref is the application name. */
export const BROM_APPLICATION_RESOURCE_TYPE = 'brom-application';

/** A permission checked against one application (its resource ref is the application name). */
export type BromApplicationPermission = ResourcePermission<
  typeof BROM_APPLICATION_RESOURCE_TYPE
>;

/** Register a new application. The owner group is checked by the backend. */
export const bromApplicationCreatePermission = createPermission({
  name: 'brom.application.create',
  attributes: { action: 'create' },
});

/** Change an application or its notification types. */
export const bromApplicationUpdatePermission: BromApplicationPermission =
  createPermission({
    name: 'brom.application.update',
    attributes: { action: 'update' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Delete an application (or confirm the deletion of its queue). */
export const bromApplicationDeletePermission: BromApplicationPermission =
  createPermission({
    name: 'brom.application.delete',
    attributes: { action: 'delete' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Create, rotate, revoke and list an application's credentials. */
export const bromCredentialManagePermission: BromApplicationPermission =
  createPermission({
    name: 'brom.credential.manage',
    attributes: { action: 'update' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Request (or cancel) a subscription; checked against the consumer application. */
export const bromSubscriptionRequestPermission: BromApplicationPermission =
  createPermission({
    name: 'brom.subscription.request',
    attributes: { action: 'create' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Approve, reject or revoke subscriptions; checked against the producer application. */
export const bromSubscriptionDecidePermission: BromApplicationPermission =
  createPermission({
    name: 'brom.subscription.decide',
    attributes: { action: 'update' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Read an application's audit history. */
export const bromAuditReadPermission: BromApplicationPermission =
  createPermission({
    name: 'brom.audit.read',
    attributes: { action: 'read' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/** Read an application's queue health (message counts, rates, dead letters). */
export const bromQueueHealthReadPermission: BromApplicationPermission =
  createPermission({
    name: 'brom.queue.health.read',
    attributes: { action: 'read' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/**
 * Peek at, replay and purge a consumer's dead-lettered messages. Peeking shows payloads, so
 * BROM's policy gives it, like every application permission, to owners and administrators only.
 */
export const bromDeadLettersManagePermission: BromApplicationPermission =
  createPermission({
    name: 'brom.application.manage-dead-letters',
    attributes: { action: 'update' },
    resourceType: BROM_APPLICATION_RESOURCE_TYPE,
  });

/**
 * Delete an application or a notification type that still has live subscribers, revoking
 * their subscriptions. BROM's policy grants it to members of a `brom.admins` group.
 */
export const bromForceDeletePermission = createPermission({
  name: 'brom.application.force-delete',
  attributes: { action: 'delete' },
});

/** Read the audit history of every application at once. BROM's policy grants it to `brom.admins`. */
export const bromAuditReadAllPermission = createPermission({
  name: 'brom.audit.read-all',
  attributes: { action: 'read' },
});

/**
 * Register an application for, or hand one over to, a group the user is not a member of.
 * BROM's policy grants it to `brom.admins`.
 */
export const bromApplicationAnyOwnerPermission = createPermission({
  name: 'brom.application.any-owner',
  attributes: { action: 'update' },
});

/**
 * See every notification type and subscription, private ones included. BROM's policy grants
 * it to `brom.admins`.
 */
export const bromNotificationTypeReadAllPermission = createPermission({
  name: 'brom.notification-type.read-all',
  attributes: { action: 'read' },
});

/**
 * See the objects in BROM's vhost that BROM does not manage (planted by hand, or left by
 * something else). BROM's policy grants it to `brom.admins`.
 */
export const bromBrokerReadUnmanagedPermission = createPermission({
  name: 'brom.broker.read-unmanaged',
  attributes: { action: 'read' },
});

/** The administration rights: permissions on no particular application. */
export const bromAdministrationPermissions = [
  bromForceDeletePermission,
  bromBrokerReadUnmanagedPermission,
  bromNotificationTypeReadAllPermission,
  bromAuditReadAllPermission,
  bromApplicationAnyOwnerPermission,
];

/** Every permission BROM declares, for registration with the permissions registry. */
export const bromPermissions = [
  bromApplicationCreatePermission,
  ...bromAdministrationPermissions,
  bromApplicationUpdatePermission,
  bromApplicationDeletePermission,
  bromCredentialManagePermission,
  bromSubscriptionRequestPermission,
  bromSubscriptionDecidePermission,
  bromAuditReadPermission,
  bromQueueHealthReadPermission,
  bromDeadLettersManagePermission,
];

/** The permissions that are checked against one application. */
export const bromApplicationPermissions = bromPermissions.filter(
  (p): p is BromApplicationPermission => 'resourceType' in p,
);
