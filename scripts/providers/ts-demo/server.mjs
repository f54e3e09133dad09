// MCP TypeScript SDK reference OAuth provider for oauth-oracle differential tests.
//
// One express app on 127.0.0.1:$PORT (default 8770):
//   - mcpAuthRouter with the SDK's own DemoInMemoryAuthProvider
//     (/.well-known/oauth-authorization-server, /.well-known/oauth-protected-resource/mcp,
//      /authorize, /token, /register; rate limiting off)
//   - POST /mcp behind requireBearerAuth, answered by a stateless McpServer +
//     StreamableHTTPServerTransport (one server/transport per request).
//
// Note: DemoInMemoryAuthProvider (sdk 1.32.2) issues no refresh tokens
// (exchangeRefreshToken throws) and has no revokeToken, so mcpAuthRouter does
// not mount /revoke and revocationOptions has no effect.
//
// Started by start.sh; `node server.mjs` works too.
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';
import { getOAuthProtectedResourceMetadataUrl, mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod/v4';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT || '8770', 10);

const issuerUrl = new URL(`http://${HOST}:${PORT}`);
const resourceServerUrl = new URL(`http://${HOST}:${PORT}/mcp`);
const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resourceServerUrl);

const provider = new DemoInMemoryAuthProvider();

// Adds localhost Host-header validation and express.json().
const app = createMcpExpressApp({ host: HOST });

app.use(
    mcpAuthRouter({
        provider,
        issuerUrl,
        resourceServerUrl,
        scopesSupported: ['read', 'write'],
        authorizationOptions: { rateLimit: false },
        tokenOptions: { rateLimit: false },
        clientRegistrationOptions: { rateLimit: false },
        revocationOptions: { rateLimit: false }
    })
);

const bearer = requireBearerAuth({ verifier: provider, resourceMetadataUrl });

function makeServer() {
    const server = new McpServer({ name: 'oauth-oracle-ref-ts', version: '0.0.0' });
    server.registerTool(
        'echo',
        { description: 'Return the given text unchanged.', inputSchema: { text: z.string() } },
        async ({ text }) => ({ content: [{ type: 'text', text }] })
    );
    return server;
}

app.post('/mcp', bearer, async (req, res) => {
    const server = makeServer();
    try {
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on('close', () => {
            transport.close();
            server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, req.body);
    } catch (error) {
        console.error('Error handling MCP request:', error);
        if (!res.headersSent) {
            res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
        }
    }
});

const httpServer = app.listen(PORT, HOST, error => {
    if (error) {
        console.error('Failed to start server:', error);
        process.exit(1);
    }
    console.log(`oauth-oracle-ref-ts listening on ${issuerUrl.href} (resource ${resourceServerUrl.href})`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        httpServer.close(() => process.exit(0));
        httpServer.closeAllConnections?.();
        setTimeout(() => process.exit(0), 2000).unref();
    });
}
