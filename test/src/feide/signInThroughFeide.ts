/**
 * Signs in the way a browser does, over HTTP only: the backend's start URL, the OpenID
 * Connect provider's login and consent forms, back to the backend's handler frame, whose
 * page carries the Backstage identity in its postMessage script.
 */

const MAX_STEPS = 20;

/** Cookies per origin, as a browser keeps them for these few hosts. */
class CookieJar {
  readonly #byOrigin = new Map<string, Map<string, string>>();

  header(url: URL): string {
    const cookies = this.#byOrigin.get(url.origin) ?? new Map();
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, res: Response) {
    const cookies = this.#byOrigin.get(url.origin) ?? new Map<string, string>();
    this.#byOrigin.set(url.origin, cookies);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(attribute => {
        const [key, val = ''] = attribute.trim().split('=');
        const lower = key.toLowerCase();
        return (
          (lower === 'max-age' && Number(val) <= 0) ||
          (lower === 'expires' && Date.parse(val) < Date.now())
        );
      });
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}

export interface FeideSignIn {
  /** The Backstage token for `Authorization: Bearer`. */
  token: string;
  userEntityRef: string;
}

function formOf(html: string): {
  action: string;
  fields: Record<string, string>;
} {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`Expected a form, got: ${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(
    /<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
  )) {
    fields[name] = value;
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}

function identityFromFrame(html: string): FeideSignIn {
  const encoded = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(
    html,
  )?.[1];
  if (!encoded)
    throw new Error(`Not an auth response page: ${html.slice(0, 500)}`);
  const message = JSON.parse(decodeURIComponent(encoded));
  if (message.error) {
    throw new Error(
      `Sign-in failed: ${message.error.name}: ${message.error.message}`,
    );
  }
  const identity = message.response.backstageIdentity;
  return {
    token: identity.token,
    userEntityRef: identity.identity.userEntityRef,
  };
}

/**
 * Signs `login` (an account of the test provider) in to the backend's `feide` provider
 * and returns the Backstage identity the backend issued.
 */
export async function signInThroughFeide(options: {
  backendBaseUrl: string;
  login: string;
  env?: string;
}): Promise<FeideSignIn> {
  const jar = new CookieJar();
  const authBase = `${options.backendBaseUrl}/api/auth/feide`;
  let url = new URL(`${authBase}/start?env=${options.env ?? 'development'}`);
  let init: RequestInit = { method: 'GET' };

  for (let step = 0; step < MAX_STEPS; step++) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: jar.header(url),
      },
    });
    jar.store(url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    const body = await res.text();
    if (url.href.startsWith(`${authBase}/handler/frame`))
      return identityFromFrame(body);
    if (res.status !== 200) {
      throw new Error(
        `${init.method} ${url.href} answered ${res.status}: ${body.slice(
          0,
          500,
        )}`,
      );
    }
    // oidc-provider's development login page (login + password) or consent page.
    const form = formOf(body);
    const fields = body.includes('name="login"')
      ? { ...form.fields, login: options.login, password: 'any' }
      : form.fields;
    url = new URL(form.action, url);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    };
  }
  throw new Error(
    `Sign-in did not finish within ${MAX_STEPS} steps (last: ${url.href})`,
  );
}
