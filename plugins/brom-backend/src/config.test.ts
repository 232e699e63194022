import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigReader } from '@backstage/config';
import {
  DEVELOPMENT_SECRETS,
  assertProductionConfig,
  readBromConfig,
} from './config';

/** A production configuration as app-config.production.yaml gives it, secrets filled in. */
function productionConfig() {
  return {
    backend: {
      auth: {
        externalAccess: [
          {
            type: 'static',
            options: {
              token: 'generated-sidecar-token-0123456789',
              subject: 'brom-sidecar',
            },
            accessRestrictions: [{ plugin: 'brom' }],
          },
        ],
      },
    },
    auth: {
      environment: 'production',
      session: { secret: 'generated-session-secret' },
      providers: {
        feide: { production: { clientId: 'brom', clientSecret: 'from-feide' } },
      },
    },
    brom: { broker: { password: 'generated-broker-password' } },
  };
}

function refusal(data: object): string {
  try {
    assertProductionConfig(new ConfigReader(data));
  } catch (error) {
    return String(error);
  }
  return 'accepted';
}

describe('assertProductionConfig', () => {
  it('accepts production configuration with its own secrets', () => {
    expect(refusal(productionConfig())).toBe('accepted');
  });

  it.each(['guest', 'development'])(
    'refuses the %s sign-in provider',
    provider => {
      const data = productionConfig();
      Object.assign(data.auth.providers, { [provider]: {} });
      expect(refusal(data)).toBe(
        `Error: BROM refuses to start in production: auth.providers.${provider} signs in without credentials and must not be configured`,
      );
    },
  );

  it.each(DEVELOPMENT_SECRETS)(
    'refuses the development default %s as any secret',
    secret => {
      const data = productionConfig();
      data.backend.auth.externalAccess[0].options.token = secret;
      data.brom.broker.password = secret;
      data.auth.providers.feide.production.clientSecret = secret;
      data.auth.session.secret = secret;
      const message = refusal(data);
      expect(message).toBe(
        'Error: BROM refuses to start in production: ' +
          'backend.auth.externalAccess[0].options.token is a development default; ' +
          'brom.broker.password is a development default; ' +
          'auth.providers.feide.production.clientSecret is a development default; ' +
          'auth.session.secret is a development default',
      );
    },
  );

  it('refuses missing secrets, naming each setting', () => {
    const data = productionConfig();
    data.backend.auth.externalAccess[0].options = {
      subject: 'brom-sidecar',
    } as never;
    data.brom.broker = {} as never;
    data.auth.providers.feide.production = { clientId: 'brom' } as never;
    expect(refusal(data)).toBe(
      'Error: BROM refuses to start in production: ' +
        'backend.auth.externalAccess[0].options.token must be set; ' +
        'brom.broker.password must be set; ' +
        'auth.providers.feide.production.clientSecret must be set',
    );
  });

  it('checks the tokens of every configured sidecar subject, and only those', () => {
    const data = productionConfig();
    data.backend.auth.externalAccess.push(
      {
        type: 'static',
        options: { token: DEVELOPMENT_SECRETS[0], subject: 'brom-sidecar-eu' },
        accessRestrictions: [{ plugin: 'brom' }],
      },
      {
        type: 'static',
        options: { token: DEVELOPMENT_SECRETS[0], subject: 'someone-else' },
        accessRestrictions: [{ plugin: 'catalog' }],
      },
    );
    Object.assign(data.brom, {
      authz: { sidecarSubjects: ['brom-sidecar', 'brom-sidecar-eu'] },
    });
    expect(refusal(data)).toBe(
      'Error: BROM refuses to start in production: backend.auth.externalAccess[1].options.token is a development default',
    );
  });

  it('refuses a missing or development external-producer key, not a development key rotated out', () => {
    const withKeys = (externalProducers: object) => {
      const data = productionConfig();
      Object.assign(data.brom, {
        externalProducers: { enabled: true, ...externalProducers },
      });
      return refusal(data);
    };
    const developmentKey = DEVELOPMENT_SECRETS[DEVELOPMENT_SECRETS.length - 1];
    const ownKey = Buffer.alloc(32, 7).toString('base64');
    expect(withKeys({})).toBe(
      'Error: BROM refuses to start in production: brom.externalProducers.encryptionKey must be set',
    );
    expect(withKeys({ encryptionKey: developmentKey })).toBe(
      'Error: BROM refuses to start in production: brom.externalProducers.encryptionKey is a development default',
    );
    // Rotating away from the development key: it may stay a previous key until re-sealed.
    expect(
      withKeys({
        encryptionKey: ownKey,
        previousEncryptionKeys: [developmentKey],
      }),
    ).toBe('accepted');
    expect(withKeys({ previousEncryptionKeys: [ownKey] })).toMatch(
      /encryptionKey must be set/,
    );
  });

  it('needs no broker password when the reconciler is off', () => {
    const data = productionConfig();
    data.brom = { reconciler: { enabled: false } } as never;
    expect(refusal(data)).toBe('accepted');
  });

  it('runs when readBromConfig reads configuration in production mode', () => {
    const data = productionConfig();
    Object.assign(data.auth.providers, { guest: {} });
    const nodeEnv = process.env.NODE_ENV;
    try {
      expect(() => readBromConfig(new ConfigReader(data))).not.toThrow();
      process.env.NODE_ENV = 'production';
      expect(() => readBromConfig(new ConfigReader(data))).toThrow(
        'auth.providers.guest signs in without credentials',
      );
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });
});

describe('DEVELOPMENT_SECRETS', () => {
  it('holds every development secret app-config.yaml falls back to', () => {
    const development = readFileSync(
      join(__dirname, '../../../app-config.yaml'),
      'utf8',
    );
    const defaults = [
      ...development.matchAll(/\$\{[A-Z0-9_]+:-([^}]*development[^}]*)\}/g),
    ].map(match => match[1]);
    expect(defaults).toEqual([
      'development-only-sidecar-token-change-me',
      'brom-development-only',
    ]);
    expect(DEVELOPMENT_SECRETS).toEqual(expect.arrayContaining(defaults));
  });
});

describe('readBromConfig', () => {
  it('reads the authorisation mode: live by default, native when asked, nothing else', () => {
    const mode = (authz?: object) =>
      readBromConfig(new ConfigReader({ brom: authz ? { authz } : {} }))
        .authzMode;
    expect(mode()).toBe('live');
    expect(mode({ mode: 'live' })).toBe('live');
    expect(mode({ mode: 'native' })).toBe('native');
    expect(() => mode({ mode: 'internal' })).toThrow(
      'brom.authz.mode must be live or native, not internal',
    );
  });
  it('reads the dead-letter bound: 10000 dropping the oldest by default, what quorum queues honour', () => {
    const bound = (deadLetters?: object) =>
      readBromConfig(new ConfigReader({ brom: deadLetters ? { deadLetters } : {} })).deadLetters;
    expect(bound()).toEqual({ maxLength: 10000, overflow: 'drop-head' });
    expect(bound({ maxLength: 50, overflow: 'reject-publish' })).toEqual({
      maxLength: 50,
      overflow: 'reject-publish',
    });
    for (const maxLength of [0, -1, 2.5]) {
      expect(() => bound({ maxLength })).toThrow(
        `brom.deadLetters.maxLength must be a whole number of at least 1, not ${maxLength}`,
      );
    }
    expect(() => bound({ overflow: 'reject-publish-dlx' })).toThrow(
      'brom.deadLetters.overflow must be drop-head or reject-publish (what quorum queues honour), not reject-publish-dlx',
    );
  });
});
