// A real OpenID Provider for Enlist's sign-in tests: panva's oidc-provider on 127.0.0.1, with
// test-only controls under /__test/ (driven by tests/openid_provider.py).
//
//   node tests/oidc-provider/server.mjs --port PORT [--config FILE]
//
// FILE is JSON: {"clients": [client metadata...], "accounts": [{"sub": ..., "email": ...}...]}.
// Sign-in uses oidc-provider's devInteractions pages: the login field takes an account's `sub`
// (any password); consent is granted without asking. oidc-provider's configuration is fixed at
// construction, so changing clients or keys builds a new Provider behind the same listener; its
// in-memory store (sessions, codes, grants) is module-wide and survives that.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import {
  SignJWT, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair,
  importJWK,
} from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, config: { type: 'string' } },
});
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;
const initial = args.config ? JSON.parse(readFileSync(args.config, 'utf8')) : {};

// The audience an ID token names when it was meant for someone else.
const OTHER_CLIENT = 'another-client';
const cookieKeys = [randomBytes(32).toString('hex')]; // one per process: sessions survive rebuilds

const initialClients = new Map((initial.clients ?? []).map((c) => [c.client_id, c]));
const initialAccounts = () => new Map((initial.accounts ?? []).map((a) => [a.sub, a]));
let clients = initialClients; // replaced, never changed in place: reset() compares identity
let accounts = initialAccounts();
let keys = [await newKey()]; // private JWKs; the first one signs, all are published
let tampering = null; // what to do to the next ID token the token endpoint issues
let handle = build();

async function newKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

// Consent is implied for every client here, as for an organisation's own apps at Okta.
async function impliedConsent(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  const { clientId } = oidc.client;
  const grant = new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope('openid email profile');
  await grant.save();
  return grant;
}

// The login page comes back for a `sub` that is not (or no longer) an account.
function loginPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login').checks.add(new interactionPolicy.Check(
    'unknown_account',
    'the End-User is not a known account',
    (ctx) => ctx.oidc.session.accountId !== undefined && !accounts.has(ctx.oidc.session.accountId),
  ));
  return policy;
}

function build() {
  const provider = new Provider(issuer, {
    clients: [...clients.values()].map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    clientAuthMethods: ['client_secret_basic'],
    responseTypes: ['code'],
    pkce: { methods: ['S256'] }, // and required, oidc-provider 8's default
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'locale', 'zoneinfo'],
    },
    // Put the scopes' claims in the ID token too (not only at userinfo), as Okta and Entra do.
    conformIdTokenClaims: false,
    // Read at every use, so a changed account shows in the next token.
    findAccount: (ctx, sub) => accounts.has(sub)
      ? { accountId: sub, claims: () => ({ ...accounts.get(sub), sub }) }
      : undefined,
    loadExistingGrant: impliedConsent,
    interactions: { policy: loginPolicy() },
    jwks: { keys },
    // Plain http on loopback: SameSite=None cookies without Secure would be dropped by browsers.
    cookies: { keys: cookieKeys, long: { sameSite: 'lax' } },
    // oidc-provider's defaults, stated so it does not log a notice for each.
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600,
      Grant: 14 * 86400, Session: 14 * 86400,
    },
    features: { devInteractions: { enabled: true } },
    // Plain text, so that a test failing at the provider reads why.
    renderError: (ctx, { error, error_description: description }) => {
      ctx.type = 'text';
      ctx.body = `${error}: ${description}`;
    },
  });
  provider.on('server_error', (ctx, error) => console.error(error));
  provider.use(async (ctx, next) => {
    // Its pages import a Google font; tests stay on loopback.
    ctx.set('content-security-policy', "default-src 'self' 'unsafe-inline'");
    await next();
    if (tampering && ctx.oidc?.route === 'token' && ctx.status === 200 && ctx.body?.id_token) {
      const kind = tampering;
      tampering = null;
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, kind) };
    }
  });
  return provider.callback();
}

async function sign(claims, header = {}, key = keys[0]) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: keys[0].kid, ...header })
    .sign(await importJWK(key, 'RS256'));
}

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

// Each re-signs the issued ID token so that exactly one check of a correct validation fails.
const TAMPERINGS = {
  audience: (claims, header) => sign({ ...claims, aud: OTHER_CLIENT }, header),
  issuer: (claims, header) => sign({ ...claims, iss: 'https://impostor.example' }, header),
  expired: (claims, header) => sign({ ...claims, iat: now() - 7200, exp: now() - 3600 }, header),
  issued_in_future: (claims, header) => sign(
    { ...claims, iat: now() + 3600, exp: now() + 7200 }, header,
  ),
  nonce: (claims, header) => sign({ ...claims, nonce: randomUUID() }, header),
  authorized_party: (claims, header) => sign(
    { ...claims, aud: [claims.aud, OTHER_CLIENT], azp: OTHER_CLIENT }, header,
  ),
  // Signed by a key that is not in the JWKS, under the published kid, then under a kid of its own.
  unpublished_key: async (claims, header) => sign(claims, header, await newKey()),
  unknown_kid: async (claims, header) => {
    const key = await newKey();
    return sign(claims, { ...header, kid: key.kid }, key);
  },
  alg_none: (claims, header) => (
    `${base64url({ ...header, alg: 'none', kid: undefined })}.${base64url(claims)}.`
  ),
};

function tamper(idToken, kind) {
  return TAMPERINGS[kind](decodeJwt(idToken), decodeProtectedHeader(idToken));
}

// Rebuilds the Provider with changed settings; on invalid ones the old Provider stays.
function reconfigure(change) {
  const saved = { clients, keys };
  change();
  try {
    handle = build();
  } catch (error) {
    ({ clients, keys } = saved);
    throw error;
  }
}

const controls = {
  'PUT /__test/accounts': (body) => { accounts.set(body.sub, body); },
  'DELETE /__test/accounts': (body) => { accounts.delete(body.sub); },
  'PUT /__test/clients': (body) => reconfigure(() => {
    clients = new Map(clients).set(body.client_id, body);
  }),
  'POST /__test/reset': () => {
    tampering = null;
    accounts = initialAccounts();
    if (clients !== initialClients) reconfigure(() => { clients = initialClients; });
  },
  'POST /__test/rotate': async (body) => {
    const key = await newKey();
    reconfigure(() => { keys = body.keep_previous ? [key, ...keys] : [key]; });
    return { kid: key.kid, published: keys.map((k) => k.kid) };
  },
  'PUT /__test/next-id-token': (body) => {
    if (!Object.hasOwn(TAMPERINGS, body.tampering)) {
      throw new Error(`unknown tampering ${body.tampering}`);
    }
    tampering = body.tampering;
  },
  'POST /__test/sign': async (body) => ({ jwt: await sign(body.claims, body.header) }),
};

async function control(req, res) {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  };
  if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress)) {
    return reply(403, { error: 'test controls answer loopback only' });
  }
  const action = controls[`${req.method} ${new URL(req.url, issuer).pathname}`];
  if (!action) return reply(404, { error: 'no such test control' });
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return reply(200, await action(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
  } catch (error) {
    return reply(400, { error: String(error.message ?? error) });
  }
}

const route = (req, res) => (req.url.startsWith('/__test/') ? control(req, res) : handle(req, res));
http.createServer(route).listen(port, '127.0.0.1', () => console.log(`OpenID Provider ${issuer}`));
