/**
 * Routing-key pattern rules, defined once in the dependency-free snapshot package so the
 * portal validates patterns exactly as the sidecar matches them.
 */
export {
  routingKeyPatternProblem,
  routingKeyPatternsOverlap,
} from '@internal/brom-authz-snapshot';
