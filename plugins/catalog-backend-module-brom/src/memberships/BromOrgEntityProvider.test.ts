import { mockServices } from '@backstage/backend-test-utils';
import {
  groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { OrgExport } from '@internal/plugin-brom-common';
import { BromOrgEntityProvider } from './BromOrgEntityProvider';

const TEAM_A = 'group:default/feide-fc_adhoc_team-a';
const ORG = 'group:default/feide-fc_org_example.org';

const data: OrgExport = {
  users: [
    {
      entityRef: 'user:default/feide-alice',
      displayName: 'Alice Hansen',
      email: 'alice@example.org',
      memberOf: [TEAM_A, ORG],
    },
    {
      entityRef: 'user:default/feide-bob',
      displayName: 'Bob Olsen',
      memberOf: [],
    },
  ],
  groups: [
    { entityRef: TEAM_A, displayName: 'Team A' },
    { entityRef: ORG, displayName: 'Example University' },
  ],
};

function provider(config: object = {}) {
  return BromOrgEntityProvider.fromConfig(
    mockServices.rootConfig({ data: config }),
    {
      logger: mockServices.logger.mock(),
      discovery: mockServices.discovery.mock(),
      auth: mockServices.auth(),
    },
  );
}

describe('BromOrgEntityProvider', () => {
  it('publishes every user with their groups, and every group, as valid entities', async () => {
    const entities = provider({
      app: { baseUrl: 'https://brom.example.org' },
    }).read(data);

    expect(entities.map(e => `${e.kind}:${e.metadata.name}`)).toEqual([
      'Group:feide-fc_adhoc_team-a',
      'Group:feide-fc_org_example.org',
      'User:feide-alice',
      'User:feide-bob',
    ]);
    const alice = entities.find(e => e.metadata.name === 'feide-alice')!;
    expect(alice.spec).toEqual({
      profile: { displayName: 'Alice Hansen', email: 'alice@example.org' },
      memberOf: [TEAM_A, ORG],
    });
    const teamA = entities.find(
      e => e.metadata.name === 'feide-fc_adhoc_team-a',
    )!;
    expect(teamA.metadata.title).toBe('Team A');
    expect(
      teamA.metadata.annotations?.['backstage.io/managed-by-location'],
    ).toBe('url:https://brom.example.org/brom');
    for (const entity of entities) {
      const validator =
        entity.kind === 'User'
          ? userEntityV1alpha1Validator
          : groupEntityV1alpha1Validator;
      await expect(validator.check(entity)).resolves.toBe(true);
    }
  });

  it('refreshes every five seconds unless configured', () => {
    expect(provider().refreshSeconds).toBe(5);
    expect(
      provider({ brom: { catalog: { orgRefreshSeconds: 30 } } }).refreshSeconds,
    ).toBe(30);
  });
});
