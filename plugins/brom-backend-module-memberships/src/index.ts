/**
 * A module of the BROM backend plugin: users and group memberships from Feide sign-ins,
 * recorded by the auth plugin and published to the catalog.
 *
 * @packageDocumentation
 */
export { bromModuleMemberships as default } from './module';
export { MembershipStore } from './MembershipStore';
