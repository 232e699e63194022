export {
  BromOrgEntityProvider,
  registerBromOrgProvider,
} from './BromOrgEntityProvider';
