// The OpenID Provider the SSO tests sign in against: the npm `oidc-provider` package (a certified
// implementation), configured with one confidential client and a test account. Sign-in is not
// interactive: the interaction route logs the current test account in and grants the scopes the
// client asked for, so a browser (or an HTTP client following redirects) goes straight through.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI. Prints "listening <issuer>" when ready.
// POST /test/account {"sub", "email", "preferred_username", "role"} sets the account of the next
// sign-ins; GET /test/logins tells how many sign-ins were completed.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

let account = { sub: 'alice', email: 'alice@example.com', preferred_username: 'alice', role: null };
let logins = 0;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signing] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name', 'role'],
  },
  async findAccount(ctx, sub) {
    const current = account;
    return {
      accountId: sub,
      async claims() {
        const claims = { sub, email: current.email, email_verified: true, preferred_username: current.preferred_username };
        if (current.role) claims.role = current.role;
        return claims;
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  cookies: { keys: ['sso-test-cookie-key'] },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const accountId = account.sub;
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  logins += 1;
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

async function readJson(req) {
  const parts = [];
  for await (const part of req) parts.push(part);
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (req.url === '/test/account' && req.method === 'POST') {
      account = { role: null, ...(await readJson(req)) };
      res.writeHead(204).end();
    } else if (req.url === '/test/logins') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ logins }));
    } else {
      handle(req, res);
    }
  } catch (err) {
    console.error(err);
    res.writeHead(500).end(String(err));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
