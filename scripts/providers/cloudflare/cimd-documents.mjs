// The fixed Client ID Metadata Documents (CIMD) the worker can fetch.
//
// server.mjs answers every outbound fetch of the worker from this map (Miniflare's
// outboundService): the key is the exact URL, the value the status, headers and JSON body.
// Any other URL gets a 404 and is logged. Each fetch is logged as
// `cimd fetch <url> -> <status>` in the provider log, so caching is visible.
//
// The library caches a validated document only when the response has Cache-Control
// max-age (or s-maxage) and no no-store/no-cache/private (capped at 7 days), and refuses
// documents over 5 KB (5120 bytes).

const CACHED = { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=3600' };
const UNCACHED = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/** A document whose client_id equals its URL, public client (`none`), loopback redirect. */
function publicDocument(url, extra = {}) {
    return {
        client_id: url,
        client_name: 'oauth-oracle CIMD test client',
        redirect_uris: ['http://127.0.0.1:9999/cb', 'http://localhost:9999/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...extra,
    };
}

export const documents = {
    // A valid public client, cacheable for an hour: fetched once, then served from the cache.
    'https://client.example/oauth/metadata.json': {
        status: 200,
        headers: CACHED,
        body: publicDocument('https://client.example/oauth/metadata.json'),
    },
    // The same, but `Cache-Control: no-store`: fetched on every lookup.
    'https://nocache.example/oauth/metadata.json': {
        status: 200,
        headers: UNCACHED,
        body: publicDocument('https://nocache.example/oauth/metadata.json'),
    },
    // client_id differs from the URL: refused.
    'https://mismatch.example/oauth/metadata.json': {
        status: 200,
        headers: CACHED,
        body: publicDocument('https://other.example/oauth/metadata.json'),
    },
    // Over the 5 KB limit (a long client_uri-free padding in `contacts`): refused.
    'https://big.example/oauth/metadata.json': {
        status: 200,
        headers: CACHED,
        body: publicDocument('https://big.example/oauth/metadata.json', { contacts: ['x'.repeat(6000)] }),
    },
    // A document that asks for a shared-secret method: CIMD clients cannot use one.
    'https://secret.example/oauth/metadata.json': {
        status: 200,
        headers: CACHED,
        body: publicDocument('https://secret.example/oauth/metadata.json', {
            token_endpoint_auth_method: 'client_secret_basic',
        }),
    },
};
