import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';

/** The groups the signed-in user may register applications for (from their sign-in claims). */
export function useOwnedGroups() {
  const identityApi = useApi(identityApiRef);
  return useAsync(async () => {
    const identity = await identityApi.getBackstageIdentity();
    return identity.ownershipEntityRefs
      .filter(ref => ref.startsWith('group:'))
      .sort();
  }, [identityApi]);
}
