export { SubscriptionDecisionDialog } from './SubscriptionDecisionDialog';
export type { SubscriptionDecision } from './SubscriptionDecisionDialog';
