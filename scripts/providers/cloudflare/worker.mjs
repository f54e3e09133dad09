// Cloudflare workers-oauth-provider 1.2.3 as a reference OAuth server for oauth-oracle.
//
// Bundled with esbuild by server.mjs and run inside Miniflare (workerd) on 127.0.0.1.
// One combined OAuthProvider (the library's single-Worker shape):
//   - apiRoute '/mcp' -> apiHandler: reads the request body (workerd drops a keep-alive
//     connection whose body was never read) and answers 200 JSON with the grant's props
//     and the verified token's audience, scope, user and client (never the token itself);
//   - authorizeEndpoint '/authorize' -> defaultHandler: auto-approves through
//     parseAuthRequest() + completeAuthorization() for one fixed user (USER_ID), granting
//     exactly the scopes requested; errors are rendered as the library's consent-page
//     guide (docs/consent-page.md) says: AuthorizationError with redirectTo -> 302 there,
//     other AuthorizationError / CimdFetchError -> 400 text/plain;
//   - tokenEndpoint '/token' (also RFC 7009 revocation), clientRegistrationEndpoint '/register';
//   - KV namespace OAUTH_KV (Miniflare, in memory);
//   - clientIdMetadataDocumentEnabled: true (needs the global_fetch_strictly_public flag,
//     which server.mjs sets); documents are served by server.mjs's outboundService.
//
// Bindings (strings, set by server.mjs from the environment):
//   BASE_URL      http://127.0.0.1:$PORT (the resource is $BASE_URL/mcp)
//   ACCESS_TTL    accessTokenTTL seconds (integer >= 60), '' = library default 3600
//   REFRESH_TTL   refreshTokenTTL: integer >= 60, '0' = no refresh tokens,
//                 'never' = no expiry, '' = library default 2592000 (30 days)
//   SCOPES        scopesSupported, space-separated ('' = omitted)
//   REQUIRED_SCOPES  requiredScopes of the /mcp resource, space-separated ('' = none)
//   USER_ID       the userId every authorization is completed for
import OAuthProvider, { AuthorizationError, CimdFetchError } from '@cloudflare/workers-oauth-provider';

const apiHandler = {
    async fetch(request, env, ctx) {
        // Read (and count) the body so workerd keeps the connection alive.
        const body = await request.arrayBuffer();
        const auth = ctx.auth || {};
        return Response.json({
            ok: true,
            method: request.method,
            path: new URL(request.url).pathname,
            body_bytes: body.byteLength,
            props: ctx.props,
            audience: auth.audience,
            scope: auth.scope,
            user_id: auth.userId,
            client_id: auth.clientId,
            expires_at: auth.expiresAt,
        });
    },
};

const defaultHandler = {
    async fetch(request, env) {
        const url = new URL(request.url);
        if (url.pathname !== '/authorize') {
            return new Response('Not Found', { status: 404 });
        }
        try {
            const oauthRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
            const userId = env.USER_ID || 'user';
            const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
                request: oauthRequest,
                userId,
                scope: oauthRequest.scope,
                metadata: { label: 'oauth-oracle auto-approve' },
                props: { userId, clientId: oauthRequest.clientId, scope: oauthRequest.scope },
            });
            return Response.redirect(redirectTo, 302);
        } catch (error) {
            if (error instanceof AuthorizationError && error.redirectTo) {
                return Response.redirect(error.redirectTo, 302);
            }
            if (error instanceof AuthorizationError || error instanceof CimdFetchError) {
                const message =
                    error instanceof AuthorizationError ? error.description : 'This app could not be verified.';
                return new Response(message, {
                    status: 400,
                    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
                });
            }
            throw error;
        }
    },
};

function words(value) {
    return (value || '').split(' ').filter(Boolean);
}

function ttl(value, name) {
    if (value === undefined || value === '') return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new TypeError(`${name} must be an integer number of seconds, got ${value}`);
    return n;
}

function buildOptions(env) {
    const base = env.BASE_URL;
    const options = {
        apiRoute: '/mcp',
        apiHandler,
        defaultHandler,
        authorizeEndpoint: '/authorize',
        tokenEndpoint: '/token',
        clientRegistrationEndpoint: '/register',
        resourceMetadata: { resource: `${base}/mcp` },
        clientIdMetadataDocumentEnabled: true,
    };
    const scopes = words(env.SCOPES);
    if (scopes.length) options.scopesSupported = scopes;
    const required = words(env.REQUIRED_SCOPES);
    if (required.length) options.requiredScopes = required;
    const access = ttl(env.ACCESS_TTL, 'ACCESS_TTL');
    if (access !== undefined) options.accessTokenTTL = access;
    if (env.REFRESH_TTL === 'never') {
        // An explicit undefined overrides the library's 30-day default: grants never expire.
        options.refreshTokenTTL = undefined;
    } else {
        const refresh = ttl(env.REFRESH_TTL, 'REFRESH_TTL');
        if (refresh !== undefined) options.refreshTokenTTL = refresh;
    }
    return options;
}

let provider;

export default {
    async fetch(request, env, ctx) {
        // Built on first use: the resource URL needs BASE_URL from env. The constructor
        // throws a TypeError for an invalid TTL (below 60 s), which surfaces on the first request.
        provider ??= new OAuthProvider(buildOptions(env));
        // workerd resets a keep-alive connection whose last request body was never read, and
        // the library answers some requests without reading theirs (a 401 at /mcp for a bad
        // token): the client's next request on that connection is lost. Every body is read
        // here, the library gets the same request; Cloudflare's edge does not show the reset.
        if (request.body !== null && request.method !== 'GET' && request.method !== 'HEAD') {
            const body = await request.arrayBuffer();
            request = new Request(request, { body });
        }
        return provider.fetch(request, env, ctx);
    },
};
