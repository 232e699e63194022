/**
 * Test utilities shared with the cross-package suites in test/: a BROM backend with the
 * real permission backend and policy, its users and groups, and an OpenAPI-checked client.
 */
export * from './backend';
export * from './client';
