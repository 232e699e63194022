/**
 * A stand-in for Feide, run as a child process because oidc-provider 9 is ESM-only: an
 * OpenID Connect provider with oidc-provider's development login and consent pages, plus
 * Feide's groups API (`GET /groups-api/groups/me/groups`), which accepts only access
 * tokens this provider issued and answers with the groups of the token's user.
 *
 * Configured by the JSON in FEIDE_TEST_OIDC:
 *   { clientId, clientSecret, redirectUri, accounts: { [sub]: { name, email } } }
 * Prints `{"issuer": "http://127.0.0.1:<port>"}` on one line once it listens.
 *
 * The test changes a user's groups with `PUT /__test/groups/<sub>` and a JSON array in
 * Feide's format as body.
 */
import http from 'node:http';
import Provider from 'oidc-provider';

const options = JSON.parse(process.env.FEIDE_TEST_OIDC ?? '{}');
/** @type {Map<string, { name: string, email: string }>} */
const accounts = new Map(Object.entries(options.accounts ?? {}));
/** @type {Map<string, unknown[]>} */
const groupsBySub = new Map();

const server = http.createServer();
await new Promise(resolve =>
  server.listen(0, '127.0.0.1', () => resolve(undefined)),
);
const address = server.address();
if (!address || typeof address === 'string') throw new Error('no port');
const issuer = `http://127.0.0.1:${address.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options.clientId,
      client_secret: options.clientSecret,
      // A native client may come back to a loopback redirect URI on any port (RFC 8252),
      // and the test backend's port is only known after this provider has started.
      application_type: 'native',
      redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  cookies: { keys: ['feide-test-only-cookie-key'] },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: account.name, email: account.email };
      },
    };
  },
});

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {unknown} [body]
 */
function reply(res, status, body) {
  res.writeHead(
    status,
    body === undefined ? {} : { 'Content-Type': 'application/json' },
  );
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** @param {http.IncomingMessage} req */
async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const oidc = provider.callback();

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', issuer);
    if (
      req.method === 'GET' &&
      url.pathname === '/groups-api/groups/me/groups'
    ) {
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const accessToken = token
        ? await provider.AccessToken.find(token)
        : undefined;
      if (!accessToken) {
        reply(res, 401, {
          message: 'A valid access token for the user is required',
        });
        return;
      }
      reply(res, 200, groupsBySub.get(accessToken.accountId) ?? []);
      return;
    }
    const control = /^\/__test\/groups\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'PUT' && control) {
      groupsBySub.set(decodeURIComponent(control[1]), await readJson(req));
      reply(res, 204);
      return;
    }
    oidc(req, res);
  } catch (error) {
    reply(res, 500, { message: String(error) });
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
