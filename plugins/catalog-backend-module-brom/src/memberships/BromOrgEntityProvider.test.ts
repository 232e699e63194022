import { mockServices } from '@backstage/backend-test-utils';
import {
  groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { OrgExport } from '@internal/plugin-brom-common';
import { BromOrgEntityProvider, REPUBLISH_MS } from './BromOrgEntityProvider';

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

function provider(config: object = {}, now?: () => number) {
  return BromOrgEntityProvider.fromConfig(
    mockServices.rootConfig({ data: config }),
    {
      logger: mockServices.logger.mock(),
      discovery: mockServices.discovery.mock(),
      auth: mockServices.auth(),
      now,
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

  it('publishes a changed export at once, and an unchanged one again only after ten minutes', async () => {
    let now = 0;
    const org = provider({}, () => now);
    const mutations: Array<{ type: string; entities?: unknown[] }> = [];
    await org.connect({
      applyMutation: async mutation => {
        mutations.push(mutation as any);
      },
      refresh: async () => {},
    });

    expect(await org.publish(data)).toBe(true);
    now += 5_000;
    expect(await org.publish(structuredClone(data))).toBe(false);
    const joined: OrgExport = {
      ...data,
      users: [...data.users, { entityRef: 'user:default/feide-carol', displayName: 'Carol', memberOf: [TEAM_A] }],
    };
    now += 5_000;
    expect(await org.publish(joined)).toBe(true);
    now += REPUBLISH_MS - 1;
    expect(await org.publish(joined)).toBe(false);
    now += 1;
    expect(await org.publish(joined)).toBe(true);
    expect(mutations.map(m => [m.type, m.entities?.length])).toEqual([
      ['full', 4],
      ['full', 5],
      ['full', 5],
    ]);
  });
});
