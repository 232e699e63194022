/**
 * Types, request schemas and permissions shared by the BROM frontend and backend.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './schemas';
export * from './permissions';
export * from './routingKeys';
export * from './memberships';
export * from './signals';
export * from './connection';
