export {
  authModuleFeideProvider,
  FEIDE_GROUPS_API_BASE_URL,
  readFeideEnvironmentSettings,
} from './module';
export type { FeideEnvironmentSettings } from './module';
export {
  feideEntityName,
  feideGroupEntityRef,
  feideUserEntityRef,
} from './entityNames';
export { FeideGroupsClient, parseGroups } from './FeideGroupsClient';
export type { FeideGroup } from './FeideGroupsClient';
export { BromMembershipsClient } from './BromMembershipsClient';
export {
  createFeideSignInResolver,
  feideProfileTransform,
} from './feideSignIn';
export type { FeideAuthResult } from './feideSignIn';
