export {
  RequestSubscriptionDialog,
  describeRequested,
} from './RequestSubscriptionDialog';
