// oauth2-mock-server as a benchmark peer: one ES256 signing key, so its
// client_credentials grant returns an ES256-signed JWT access token.
import { OAuth2Server } from 'oauth2-mock-server';
import { parseArgs, es256PrivateJwk, writeReady, stopOnSignals } from './common.mjs';

const opts = parseArgs(process.argv.slice(2));
const server = new OAuth2Server();
await server.issuer.keys.add(await es256PrivateJwk('bench-es256'));
await server.start(opts.port, '127.0.0.1');
const port = server.address().port;
// Name the issuer by the address it is reached on (the default says localhost).
server.issuer.url = `http://127.0.0.1:${port}`;
stopOnSignals(() => server.stop());
writeReady(opts.readyFile, {
  port,
  issuer: server.issuer.url,
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  token: '/token',
});
