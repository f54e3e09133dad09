// Starts worker.mjs (Cloudflare workers-oauth-provider 1.2.3) in Miniflare 4.20260426.0
// (workerd) on 127.0.0.1:$PORT for oauth-oracle differential tests.
//
// - Bundles worker.mjs with esbuild (in memory; `cloudflare:*` stays external).
// - KV namespace OAUTH_KV, in memory; the Cache API (used for CIMD documents) in memory.
// - cf: false, so Miniflare does not fetch Cloudflare's cf.json.
// - compatibility flag global_fetch_strictly_public: the library enables CIMD only with it.
// - Every outbound fetch of the worker is answered from cimd-documents.mjs (outboundService):
//   nothing leaves the machine.
//
// SIGUSR2 dumps the KV namespace to the log (see below).
// Environment: PORT (default 28800), ACCESS_TTL, REFRESH_TTL ('never', '0' or seconds),
// SCOPES (default 'read write'), REQUIRED_SCOPES, USER_ID (default 'user').
// Started by start.sh; `node server.mjs` works too (from a directory with node_modules).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { documents } from './cimd-documents.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT || '28800', 10);
const BASE_URL = `http://${HOST}:${PORT}`;

function fail(message) {
    console.error(message);
    process.exit(2);
}

// The library needs integers >= 60 (Cloudflare KV's minimum expiration); check here so a
// bad value fails the start, not the first request.
function checkTtl(name, { allowZero = false, allowNever = false } = {}) {
    const value = process.env[name];
    if (value === undefined || value === '') return '';
    if (allowNever && value === 'never') return value;
    const n = Number(value);
    if (!Number.isInteger(n) || (n < 60 && !(allowZero && n === 0))) {
        fail(`${name}=${value}: must be an integer number of seconds >= 60` +
            `${allowZero ? ', 0 (no refresh tokens)' : ''}${allowNever ? ", or 'never'" : ''}`);
    }
    return String(n);
}

const bindings = {
    BASE_URL,
    ACCESS_TTL: checkTtl('ACCESS_TTL'),
    REFRESH_TTL: checkTtl('REFRESH_TTL', { allowZero: true, allowNever: true }),
    SCOPES: process.env.SCOPES ?? 'read write',
    REQUIRED_SCOPES: process.env.REQUIRED_SCOPES ?? '',
    USER_ID: process.env.USER_ID || 'user',
};
if (bindings.USER_ID.includes(':')) fail(`USER_ID=${bindings.USER_ID}: must not contain ':'`);

const built = await esbuild.build({
    entryPoints: [path.join(HERE, 'worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'warning',
});
const script = built.outputFiles[0].text;
await esbuild.stop(); // no idle esbuild service process beside workerd

async function outbound(request) {
    const url = request.url;
    const doc = Object.prototype.hasOwnProperty.call(documents, url) ? documents[url] : undefined;
    const status = doc ? doc.status : 404;
    console.log(`cimd fetch ${url} -> ${status}`);
    if (!doc) return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
    return new Response(JSON.stringify(doc.body), { status: doc.status, headers: doc.headers });
}

const mf = new Miniflare({
    host: HOST,
    port: PORT,
    modules: true,
    script,
    compatibilityDate: '2026-04-01',
    compatibilityFlags: ['global_fetch_strictly_public'],
    kvNamespaces: ['OAUTH_KV'],
    bindings,
    outboundService: outbound,
    cf: false,
});

const url = await mf.ready;
console.log(`oauth-oracle-ref-cloudflare listening on ${url.href} (resource ${BASE_URL}/mcp)`);

// SIGUSR2: dump OAUTH_KV to the log (every key with its expiration and metadata, and the
// value of the first key of each kind), to show the storage layout. Test data only.
process.on('SIGUSR2', async () => {
    try {
        const kv = await mf.getKVNamespace('OAUTH_KV');
        const lines = ['kv begin'];
        const shown = new Set();
        let cursor;
        do {
            const page = await kv.list({ cursor });
            for (const key of page.keys) {
                const exp = key.expiration === undefined ? '-' : key.expiration;
                const meta = key.metadata === undefined ? '-' : JSON.stringify(key.metadata);
                lines.push(`kv key ${key.name} expiration=${exp} metadata=${meta}`);
                const kind = key.name.slice(0, key.name.indexOf(':'));
                if (!shown.has(kind)) {
                    shown.add(kind);
                    lines.push(`kv value ${key.name} ${await kv.get(key.name)}`);
                }
            }
            cursor = page.list_complete ? undefined : page.cursor;
        } while (cursor);
        lines.push('kv end');
        console.log(lines.join('\n'));
    } catch (error) {
        console.error('kv dump failed:', error);
    }
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        if (stopping) return;
        stopping = true;
        setTimeout(() => process.exit(0), 5000).unref();
        mf.dispose().finally(() => process.exit(0));
    });
}
