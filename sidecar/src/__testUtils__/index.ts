/** Test helpers other workspace packages share (`@internal/brom-sidecar/testUtils`). */
export { seeded } from './seeded';
