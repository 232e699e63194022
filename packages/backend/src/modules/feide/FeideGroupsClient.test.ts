import { parseGroups } from './FeideGroupsClient';

describe('parseGroups', () => {
  it('reads the groups in Feide’s format', () => {
    expect(
      parseGroups([
        {
          id: 'fc:adhoc:1234-abcd',
          displayName: 'Team A',
          type: 'fc:adhoc',
          membership: { basic: 'admin' },
        },
        {
          id: 'fc:org:example.org',
          type: 'fc:org',
          membership: { basic: 'member' },
        },
        { displayName: 'no id' },
      ]),
    ).toEqual([
      {
        id: 'fc:adhoc:1234-abcd',
        displayName: 'Team A',
        type: 'fc:adhoc',
        membership: 'admin',
      },
      {
        id: 'fc:org:example.org',
        displayName: 'fc:org:example.org',
        type: 'fc:org',
        membership: 'member',
      },
    ]);
  });

  it('refuses an answer that is not a list rather than sign someone in without groups', () => {
    expect(() => parseGroups({ message: 'Forbidden' })).toThrow(
      /list of groups/,
    );
  });
});
