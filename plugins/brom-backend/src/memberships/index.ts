export { createMembershipsRouter } from './createMembershipsRouter';
export { MembershipStore } from './MembershipStore';
export type { OrgExport, SignInMemberships } from './MembershipStore';
export type { MembershipTables } from './tables';
