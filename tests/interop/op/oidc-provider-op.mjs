// oidc-provider (an OpenID-certified OP, npm) as an OpenID provider for
// doorauth's relying party: tests/e2e/interop_op starts it, logs in through
// it with door_rp, has it rotate its signing keys and logs in again.
//
//   tests/node tests/interop/op/oidc-provider-op.mjs CERT.pem KEY.pem [PK.jwks]
//
// HTTPS on 127.0.0.1, an ephemeral port.  Lines on stdout (other output of
// oidc-provider may come between them; readers look for the prefix):
//   oidc-provider-op: issuer https://127.0.0.1:PORT
//   oidc-provider-op: keys KID KID            (the signing keys, JWKS order)
//   oidc-provider-op: ready
// Commands on stdin, one a line:
//   rotate   new RS256 and ES256 keys with new kids; the JWKS then holds only
//            them (the old keys are gone); answers "oidc-provider-op: rotated
//            KID KID"
//   quit     (or end of input) stop and exit 0
//
// Clients:
//   door     client_secret_basic (secret below), redirect_uri
//            https://door.localhost/callback/oidcp, RS256 id_tokens
//   door-pk  private_key_jwt with the public keys of PK.jwks (when given),
//            redirect_uri https://door.localhost/callback/oidcp-pk
// Both: authorization code with PKCE S256 (required), scope openid email.
//
// Logins are non-interactive: devInteractions are off, and the interaction
// URL (/interaction/UID, served here) finishes the login for the account
// named by login_hint (alice; anything else is access_denied), then grants
// the consent the provider asks for.  The browser (libcurl in the C test)
// follows the redirects keeping the provider's cookies.
import { createServer } from 'node:https';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const [certFile, keyFile, pkJwksFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  process.stderr.write('usage: oidc-provider-op.mjs CERT.pem KEY.pem [PK.jwks]\n');
  process.exit(2);
}

const SECRET = 'planted-secret-oidc-provider-door-0123456789abcdef';
const ACCOUNTS = {
  alice: { sub: 'alice', email: 'alice@example.test', email_verified: true },
};

function say(line) {
  process.stdout.write(`oidc-provider-op: ${line}\n`);
}

// A signing key as a private JWK with a fresh kid.
function newKey(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig',
           kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` };
}

function clients() {
  const list = [{
    client_id: 'door',
    client_secret: SECRET,
    redirect_uris: ['https://door.localhost/callback/oidcp'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }];
  if (pkJwksFile) {
    list.push({
      client_id: 'door-pk',
      redirect_uris: ['https://door.localhost/callback/oidcp-pk'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JSON.parse(readFileSync(pkJwksFile, 'utf8')),
      id_token_signed_response_alg: 'ES256',
    });
  }
  return list;
}

const cookieKeys = [randomBytes(32).toString('base64url')];

function makeProvider(issuer, keys) {
  const provider = new Provider(issuer, {
    clients: clients(),
    jwks: { keys },
    cookies: { keys: cookieKeys },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    async findAccount(ctx, sub) {
      const claims = ACCOUNTS[sub];
      if (!claims) return undefined;
      return { accountId: sub, async claims() { return { ...claims }; } };
    },
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600,
      Session: 3600, Grant: 3600,
    },
  });
  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`oidc-provider server_error: ${err?.stack ?? err}\n`);
  });
  return provider;
}

// The non-interactive interaction: login for login_hint, then consent.
async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const hint = params.login_hint;
    if (typeof hint !== 'string' || !ACCOUNTS[hint]) {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'unknown login_hint',
      }, { mergeWithLastSubmission: false });
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: hint } },
      { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } },
      { mergeWithLastSubmission: true });
    return;
  }
  res.statusCode = 400;
  res.end(`unexpected prompt ${prompt.name}`);
}

let provider;
let callback;
let keys = [newKey('RS256'), newKey('ES256')];

const server = createServer({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
}, (req, res) => {
  const current = provider;
  if (req.url.startsWith('/interaction/')) {
    interaction(current, req, res).catch((err) => {
      process.stderr.write(`interaction: ${err?.stack ?? err}\n`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('interaction failed');
      }
    });
    return;
  }
  callback(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `https://127.0.0.1:${port}`;
  provider = makeProvider(issuer, keys);
  callback = provider.callback();
  say(`issuer ${issuer}`);
  say(`keys ${keys.map((k) => k.kid).join(' ')}`);
  say('ready');
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'rotate') {
      // A new instance with only the new keys: the JWKS no longer has the
      // old kids, and tokens from now on carry the new ones.
      keys = [newKey('RS256'), newKey('ES256')];
      provider = makeProvider(issuer, keys);
      callback = provider.callback();
      say(`rotated ${keys.map((k) => k.kid).join(' ')}`);
    } else if (cmd === 'quit') {
      rl.close();
    } else if (cmd) {
      say(`unknown command ${cmd}`);
    }
  });
  rl.on('close', () => {
    server.close();
    server.closeAllConnections();
  });
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
  });
}
