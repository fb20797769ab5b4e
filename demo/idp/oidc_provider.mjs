// A real OpenID Connect provider for the sign-in tests and the demo (make run-sso):
// oidc-provider (OpenID Certified) on 127.0.0.1.
//
//   node oidc_provider.mjs CONFIG.json
//
// CONFIG.json: {"port": N (0 or absent: a free port),
//               "clients": [{"client_id", "client_secret", "redirect_uris": [...], ...}],
//               "accounts": {"<login>": {"email", "email_verified", "given_name", "family_name",
//                                        "employee_id" (optional), "groups" (optional list)}}}
// A client's other keys go to oidc-provider as client metadata as they are. The default
// token_endpoint_auth_method here is client_secret_post (oidc-provider's own is
// client_secret_basic): django-allauth's OpenID Connect provider posts the secret whenever
// discovery lists client_secret_post, unless its app settings name a token_auth_method.
//
// Issuer http://127.0.0.1:PORT; prints "READY http://127.0.0.1:PORT" on stdout once it listens
// (nothing else goes to stdout; oidc-provider's warnings and errors go to stderr). Authorization
// code flow only, PKCE (S256) required of every client. `sub` is the account's login; scopes
// openid, email (email, email_verified) and profile (given_name, family_name, employee_id,
// groups), all in the ID token too. Sign-in is our own page at /interaction/UID: a form with the
// field `login` and the buttons `action=login` ("Sign in") and `action=cancel` ("Cancel", which
// answers the client with error=access_denied). Consent is granted without a page.
// With "exit_on_stdin_close": true it exits when its standard input closes, so a test run that
// dies (its end of the pipe closing) leaves no provider behind.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};

const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['given_name', 'family_name', 'employee_id', 'groups'],
};
const ALL_CLAIMS = Object.values(CLAIMS).flat();

function accountClaims(login) {
  const account = accounts[login];
  const claims = { sub: login };
  for (const name of ALL_CLAIMS) {
    if (name !== 'sub' && account[name] !== undefined && account[name] !== null) {
      claims[name] = account[name];
    }
  }
  return claims;
}

// Listen first (port 0: the OS picks a free one, so parallel runs never race for a port), then
// build the provider with the issuer that names the port it got.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port ?? 0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

// A signing key of this run alone (and no "development keys" warning).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256',
};

const provider = new Provider(issuer, {
  clients: (config.clients ?? []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...client,
  })),
  responseTypes: ['code'],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: CLAIMS,
  scopes: ['openid', 'email', 'profile'],
  // By default (true) a code flow's ID token carries only sub and the like, the scopes' claims
  // coming from userinfo alone; false puts them in the ID token as well.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  // Lifetimes in seconds, e.g. {"IdToken": 120}, so a test can see an ID token expire.
  ...(config.ttl ? { ttl: config.ttl } : {}),
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, claims: async () => accountClaims(id) };
  },
  // Consent without a page, as for a district's own first-party app: a grant of every scope and
  // claim is made on first use; the tokens still carry only what the client asked for.
  async loadExistingGrant(ctx) {
    const { accountId } = ctx.oidc.session;
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId === accountId) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope(Object.keys(CLAIMS).join(' '));
    grant.addOIDCClaims(ALL_CLAIMS);
    await grant.save();
    return grant;
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error']) {
  provider.on(event, (ctx, error) => {
    console.error(`oidc-provider ${event}: ${error.name} ${error.message} ${error.error_description ?? ''}`);
  });
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, { uid, clientId, error = '' }) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Test OpenID Connect provider</h1>
<p>Signing in to ${escape(clientId)}</p>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label for="login">Account</label>
  <input id="login" name="login" type="text" required autofocus>
  <button type="submit" name="action" value="login">Sign in</button>
  <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>
</body></html>
`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// Our interaction pages, over the provider's interaction API; everything else is the provider's.
async function interaction(req, res, uid, isSubmit) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const clientId = details.params.client_id;
  if (details.prompt.name === 'consent') {
    // Only when a client insists (prompt=consent): granted at once, as loadExistingGrant does.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId });
    grant.addOIDCScope(Object.keys(CLAIMS).join(' '));
    grant.addOIDCClaims(ALL_CLAIMS);
    const result = { consent: { grantId: await grant.save() } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    return;
  }
  if (!isSubmit) {
    loginPage(res, { uid, clientId });
    return;
  }
  const form = await readForm(req);
  if (form.get('action') === 'cancel') {
    const result = { error: 'access_denied', error_description: 'The user cancelled the sign-in.' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const login = form.get('login') ?? '';
  if (!Object.hasOwn(accounts, login)) {
    loginPage(res, { uid, clientId, error: `Unknown account: ${login}` });
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: login } }, {
    mergeWithLastSubmission: false,
  });
}

const providerCallback = provider.callback();
server.on('request', (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  const match = pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  const isSubmit = Boolean(match[2]);
  if (req.method !== (isSubmit ? 'POST' : 'GET')) {
    res.writeHead(405).end();
    return;
  }
  interaction(req, res, match[1], isSubmit).catch((error) => {
    // An expired or foreign interaction (its cookie missing) lands here.
    console.error(`interaction ${match[1]}: ${error.name} ${error.message}`);
    if (!res.headersSent) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`interaction failed: ${error.message}\n`);
    }
  });
});

if (config.exit_on_stdin_close) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));

console.log(`READY ${issuer}`);
