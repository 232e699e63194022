/**
 * What one sign-in tells BROM about a user: the body of
 * `PUT /service/memberships/:userEntityRef`, which the auth backend's sign-in resolver sends.
 */
export interface SignInMemberships {
  displayName: string;
  email?: string;
  /** Group entity refs with their display names, e.g. `group:default/feide-fc_adhoc_…`. */
  groups: Array<{ ref: string; displayName: string }>;
}

/**
 * Users and groups as the catalog gets them (`GET /service/org-export`): the users who
 * signed in and the groups Feide reported for them at their latest sign-in.
 */
export interface OrgExport {
  users: Array<{
    entityRef: string;
    displayName: string;
    email?: string;
    /** Group entity refs, sorted. */
    memberOf: string[];
  }>;
  groups: Array<{ entityRef: string; displayName: string }>;
}
