import { AUTH_PARAM, AuthParams, readAuthParams } from './authParams';
import { seeded } from '../__testUtils__/seeded';

const FIELDS = [
  ['username', 'username'],
  ['password', 'password'],
  ['vhost', 'vhost'],
  ['resource', 'resource'],
  ['name', 'name'],
  ['permission', 'permission'],
  ['routingKey', 'routing_key'],
] as const;

/** What URLSearchParams, the reference the broker's encoding is defined against, reads. */
function reference(text: string): Record<string, string | null> {
  const search = new URLSearchParams(text);
  return Object.fromEntries(
    FIELDS.map(([field, param]) => [field, search.get(param)]),
  );
}

function read(text: string, from = 0): Record<string, string | null> {
  const params = readAuthParams(text, new AuthParams(), from);
  return Object.fromEntries(FIELDS.map(([field]) => [field, params[field]]));
}

describe('readAuthParams', () => {
  it('reads what RabbitMQ 3.10 posts to /auth/topic, skipping the parameters nobody reads', () => {
    const body =
      'username=billing-api-1.abcdefgh&vhost=brom&resource=topic&name=brom.billing-api-1' +
      '&permission=write&tags=&routing_key=order.1f.created' +
      '&variable_map.username=billing-api-1.abcdefgh&variable_map.vhost=brom';
    expect(read(body)).toEqual({
      username: 'billing-api-1.abcdefgh',
      password: null,
      vhost: 'brom',
      resource: 'topic',
      name: 'brom.billing-api-1',
      permission: 'write',
      routingKey: 'order.1f.created',
    });
    expect(read(body)).toEqual(reference(body));
  });

  it('decodes + as a space and %XX as UTF-8, in names as well as values', () => {
    const body =
      'user%6Eame=a+b&password=with+space%2Bplus%26amp%3D&vhost=%C3%A6%F0%9F%90%87';
    expect(read(body)).toMatchObject({
      username: 'a b',
      password: 'with space+plus&amp=',
      vhost: 'æ🐇',
    });
    expect(read(body)).toEqual(reference(body));
  });

  it('keeps the first of repeated names, gives a name without = the empty value, and skips empty pairs', () => {
    expect(read('name=a&name=b&&vhost&=x&username=')).toEqual({
      ...reference(''),
      name: 'a',
      vhost: '',
      username: '',
    });
  });

  it('treats malformed escapes and invalid UTF-8 as URLSearchParams does', () => {
    for (const body of [
      'username=100%',
      'username=%zz%41',
      'username=%C3',
      'username=%FF%FE+x',
      'username=%+41',
      'user%name=x&username=y',
    ]) {
      expect(read(body)).toEqual(reference(body));
    }
  });

  it('reads a query from an offset, skipping one leading ?', () => {
    const url = '/auth/user?username=a&password=b';
    expect(read(url, url.indexOf('?') + 1)).toMatchObject({
      username: 'a',
      password: 'b',
    });
    expect(read('/auth/user??username=a', 11)).toMatchObject({
      username: 'a',
    });
    expect(read('?username=a')).toEqual(reference('?username=a'));
    expect(read('', 0)).toEqual(reference(''));
  });

  it('stops reading once the wanted fields are found, which keeps their first occurrences', () => {
    const wanted = AUTH_PARAM.username | AUTH_PARAM.vhost;
    for (const body of [
      'username=a&vhost=v&username=b&name=n',
      'vhost=v&tags=&username=a&vhost=w',
      'user%6Eame=a&vhost=v+w&name=n',
      'vhost=v&name=n',
    ]) {
      const params = readAuthParams(body, new AuthParams(), 0, wanted);
      const expected = reference(body);
      expect(params.username).toBe(expected.username);
      expect(params.vhost).toBe(expected.vhost);
    }
  });

  it('clears what an earlier request left in a reused instance', () => {
    const params = new AuthParams();
    readAuthParams('username=a&password=b&routing_key=k', params);
    readAuthParams('vhost=v', params);
    expect(params).toMatchObject({
      username: null,
      password: null,
      routingKey: null,
      vhost: 'v',
    });
  });

  it('agrees with URLSearchParams on 20,000 random forms, plain and encoded', () => {
    const random = seeded(20_261_121);
    const plain = [
      ...FIELDS.map(([, param]) => param),
      'tags',
      'variable_map.vhost',
      'name ',
      'NAME',
      'brom',
      'order.*.created',
      '&',
      '&',
      '=',
      '=',
      '?',
      'é',
      '🐇',
      'x',
      '',
    ];
    const encoded = [
      ...plain,
      'user%6Eame',
      'routing%5Fkey',
      'na+me',
      '+',
      '%',
      '%2',
      '%41',
      '%2B',
      '%26',
      '%3D',
      '%C3%A6',
      '%E2%82',
      '%ff',
    ];
    const prefix = '/auth/user?';
    const disagreements: unknown[] = [];
    for (const pieces of [plain, encoded]) {
      for (let n = 0; n < 10_000; n++) {
        let text = '';
        const count = Math.floor(random() * 14);
        for (let i = 0; i < count; i++) {
          text += pieces[Math.floor(random() * pieces.length)];
        }
        const expected = JSON.stringify(reference(text));
        const got = JSON.stringify(read(text));
        const fromQuery = JSON.stringify(read(prefix + text, prefix.length));
        if (got !== expected || fromQuery !== expected) {
          disagreements.push({ text, expected, got, fromQuery });
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
