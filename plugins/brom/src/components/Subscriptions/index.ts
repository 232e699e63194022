export { ConsumerSubscriptionsCard } from './ConsumerSubscriptionsCard';
export { SubscribersCard } from './SubscribersCard';
