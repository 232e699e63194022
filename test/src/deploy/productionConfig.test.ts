import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './productionTree';

function readConfig(file: string) {
  return parse(readFileSync(join(REPO_ROOT, file), 'utf8'));
}

describe('app-config.production.yaml', () => {
  const production = readConfig('app-config.production.yaml');

  it('takes every secret from the environment, with no default', () => {
    const secrets = {
      'backend.auth.externalAccess[0].options.token':
        production.backend.auth.externalAccess[0].options.token,
      'backend.database.connection.password':
        production.backend.database.connection.password,
      'auth.session.secret': production.auth.session.secret,
      'auth.providers.feide.production.clientSecret':
        production.auth.providers.feide.production.clientSecret,
      'brom.broker.password': production.brom.broker.password,
    };
    for (const [path, value] of Object.entries(secrets)) {
      expect({ path, value }).toEqual({
        path,
        value: expect.stringMatching(/^\$\{[A-Z0-9_]+\}$/),
      });
    }
  });

  it('configures no sign-in provider but Feide', () => {
    expect(Object.keys(production.auth.providers)).toEqual(['feide']);
  });
});
