// oidc-provider as a benchmark peer: one ES256 key, the clientCredentials
// feature, and a resource server whose access tokens are ES256 JWTs, so its
// client_credentials grant returns what the other servers return.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { parseArgs, es256PrivateJwk, writeReady, stopOnSignals,
         BENCH_CLIENT, BENCH_RESOURCE } from './common.mjs';

const opts = parseArgs(process.argv.slice(2));
const key = await es256PrivateJwk('bench-es256');

// Bind first: the issuer must carry the real port.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(opts.port, '127.0.0.1', resolve);
});
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [key] },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  clients: [{
    client_id: BENCH_CLIENT.id,
    client_secret: BENCH_CLIENT.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  scopes: ['api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => BENCH_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== BENCH_RESOURCE) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'api',
          audience: BENCH_RESOURCE,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});
provider.on('server_error', (_ctx, err) => console.error('oidc-provider:', err));
server.on('request', provider.callback());
stopOnSignals(() => new Promise((r) => server.close(r)));
writeReady(opts.readyFile, {
  port,
  issuer,
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  token: '/token',
});
