export {
  BromOrgEntityProvider,
  registerBromOrgProvider,
} from './BromOrgEntityProvider';
export type { OrgExport } from './BromOrgEntityProvider';
