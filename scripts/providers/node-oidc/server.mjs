// node-oidc-provider (oidc-provider 9.13.3) configured as an MCP-style OAuth 2.1
// authorization server, for oauth-oracle live tests.
//
// One process on 127.0.0.1:$PORT (default 8780), issuer http://127.0.0.1:$PORT:
//   - discovery: /.well-known/openid-configuration, and node-oidc 9 itself also serves
//     the same document at /.well-known/oauth-authorization-server (RFC 8414)
//   - open dynamic client registration (RFC 7591) at /reg
//   - PKCE required for every client; node-oidc 9 supports S256 only
//   - grants authorization_code + refresh_token; a refresh token is issued on every
//     code exchange to clients registered with the refresh_token grant (no
//     offline_access needed) and rotated on every use
//   - scopes "read write" (plus openid / offline_access, which node-oidc knows)
//   - revocation (RFC 7009) at /token/revocation, introspection (RFC 7662) at
//     /token/introspection; a pre-registered resource-server client
//     oauth-oracle-rs / oauth-oracle-rs-secret (client_secret_basic) for introspection
//   - opaque access tokens (resource indicators off)
//   - an auto-approving interaction through node-oidc's interaction API:
//     GET /interaction/:uid logs in the fixed account "alice", grants the requested
//     scopes and answers 303 back to the authorization endpoint (no HTML at all);
//     devInteractions off.
//
// Environment: PORT, CODE_TTL / ACCESS_TTL / REFRESH_TTL (integer seconds;
// defaults 60 / 3600 / 86400). Started by start.sh; `node server.mjs` works too.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';

function intEnv(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^[0-9]+$/.test(raw) || Number.parseInt(raw, 10) <= 0) {
    console.error(`${name} must be a positive integer number of seconds, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return Number.parseInt(raw, 10);
}

const PORT = intEnv('PORT', 8780);
const CODE_TTL = intEnv('CODE_TTL', 60);
const ACCESS_TTL = intEnv('ACCESS_TTL', 3600);
const REFRESH_TTL = intEnv('REFRESH_TTL', 86400);
// Grants and sessions must outlive every token they back.
const LONG_TTL = Math.max(REFRESH_TTL, ACCESS_TTL, CODE_TTL, 3600);

const ISSUER = `http://${HOST}:${PORT}`;
const ACCOUNT_ID = 'alice';

// A fresh signing key per process (only ID tokens would use it: access tokens are
// opaque); without one node-oidc falls back to a development key and warns.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'k1' };

const configuration = {
  clients: [
    {
      // Resource-server credentials for RFC 7662 introspection. It has no redirect
      // URIs and no grant or response types: it can only authenticate at the
      // introspection and revocation endpoints.
      client_id: 'oauth-oracle-rs',
      client_secret: 'oauth-oracle-rs-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'read', 'write'],
  claims: { openid: ['sub'] },
  // Clients registered without these fields get them (node-oidc's defaults except
  // for grant_types, which here includes refresh_token as MCP clients expect).
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: {
      enabled: true,
      // node-oidc's default policy, written out: a confidential client presenting
      // another client's token is refused with invalid_request; a public client's
      // request for a foreign token is answered 200 and does nothing.
      allowedPolicy(ctx, client, token) {
        if (token.clientId !== client.clientId) {
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    introspection: {
      enabled: true,
      // node-oidc's default policy, written out: a public client may only
      // introspect its own tokens (others answer {"active":false}).
      allowedPolicy(ctx, client, token) {
        return !(client.clientAuthMethod === 'none' && token.clientId !== client.clientId);
      },
    },
    userinfo: { enabled: true },
    resourceIndicators: { enabled: false },
  },
  pkce: {
    required: () => true,
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  // Refresh tokens do not die with the login session (no offline_access needed).
  expiresWithSession: async () => false,
  ttl: {
    AuthorizationCode: CODE_TTL,
    AccessToken: ACCESS_TTL,
    RefreshToken: REFRESH_TTL,
    IdToken: ACCESS_TTL,
    Interaction: 3600,
    Session: LONG_TTL,
    Grant: LONG_TTL,
    ClientCredentials: ACCESS_TTL,
  },
  clientBasedCORS: () => false,
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub }),
  }),
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(ISSUER, configuration);

// The auto-approving interaction: log in ACCOUNT_ID, grant what was asked, 303 back.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
  if (!m || ctx.method !== 'GET') {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  const accountId = session?.accountId ?? ACCOUNT_ID;

  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
  }
  grant ??= new provider.Grant({ accountId, clientId: params.client_id });

  const missing = prompt.details ?? {};
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  // Also cover everything the request asked for, whatever prompt came first.
  if (typeof params.scope === 'string' && params.scope) grant.addOIDCScope(params.scope);
  const grantId = await grant.save();

  const result = {
    login: { accountId },
    consent: { grantId },
  };
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

provider.on('server_error', (ctx, err) => {
  console.error('server_error', ctx.method, ctx.path, err);
});

const server = provider.listen(PORT, HOST, () => {
  console.log(`node-oidc-provider listening on ${ISSUER} (code ${CODE_TTL}s, access ${ACCESS_TTL}s, refresh ${REFRESH_TTL}s)`);
});
server.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
