// idp.mjs: a real, certified OpenID provider (npm oidc-provider) dressed as Google, for
// gwmcp's end-to-end suite. gwmcp points at it with GOOGLE_OAUTH_ISSUER.
//
// Like accounts.google.com it serves discovery at /.well-known/openid-configuration and
// Google's paths (/o/oauth2/v2/auth, /token, /v1/userinfo, /oauth2/v3/certs, /revoke); one
// confidential client (client_secret_post, or client_secret_basic with IDP_CLIENT_AUTH=basic);
// ID tokens with email, email_verified and hd; Google's Workspace scope URLs; refresh tokens
// when the authorization asked for access_type=offline (no offline_access scope needed), never
// rotated and not tied to a browser session; exact redirect URIs and PKCE S256 required. The
// login and consent of the configured person (IDP_LOGIN, default bob@sandbox.example, whose
// sub is the sandbox's) complete by themselves: a browser that reaches the authorization
// endpoint comes back to gwmcp's callback without a page in between.
//
// Environment: IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URI (gwmcp's callback, exact),
// IDP_PORT (0 = free), IDP_LOGIN, IDP_CLIENT_AUTH (post|basic), IDP_ACCESS_TOKEN_TTL (seconds,
// 3600), IDP_INTROSPECT_CLIENT_ID/SECRET (optional: a resource server allowed to introspect).
// The first line on stdout is issuer=http://127.0.0.1:PORT. Logs (never a token) go to stderr.
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) {
      console.error(`idp: ${name} is required`);
      process.exit(2);
    }
    return fallback;
  }
  return v;
};

const clientID = env('IDP_CLIENT_ID');
const clientSecret = env('IDP_CLIENT_SECRET');
const redirectURI = env('IDP_REDIRECT_URI');
const port = Number(env('IDP_PORT', '0'));
const login = env('IDP_LOGIN', 'bob@sandbox.example').toLowerCase();
const clientAuth = env('IDP_CLIENT_AUTH', 'post');
const accessTTL = Number(env('IDP_ACCESS_TOKEN_TTL', '3600'));
if (!['post', 'basic'].includes(clientAuth)) {
  console.error('idp: IDP_CLIENT_AUTH must be post or basic');
  process.exit(2);
}

// The people of gwmcp's sandbox (internal/sandbox/accounts.go): same subjects, so that a
// token for bob here and bob's files there are the same person.
const people = [
  { sub: '109876543210000000001', email: 'alice@sandbox.example', given_name: 'Alice', family_name: 'Martin', hd: 'sandbox.example' },
  { sub: '109876543210000000002', email: 'bob@sandbox.example', given_name: 'Bob', family_name: 'Nakamura', hd: 'sandbox.example' },
  { sub: '109876543210000000003', email: 'carol@sandbox.example', given_name: 'Carol', family_name: 'Okafor', hd: 'sandbox.example' },
  { sub: '109876543210000000004', email: 'dave@consumer.example', given_name: 'Dave', family_name: 'Rossi' },
];
const person = people.find((p) => p.email === login);
if (!person) {
  console.error(`idp: IDP_LOGIN ${login} is not one of ${people.map((p) => p.email).join(', ')}`);
  process.exit(2);
}

// Google's Workspace scopes (short names under https://www.googleapis.com/auth/), the ones
// gwmcp's scope registry knows. Anything else is refused with invalid_scope, as Google does.
const googleScopeNames = `
  userinfo.email userinfo.profile
  drive drive.readonly drive.file drive.metadata drive.metadata.readonly drive.appdata drive.photos.readonly drive.scripts
  gmail.modify gmail.readonly gmail.metadata gmail.compose gmail.send gmail.insert gmail.labels gmail.settings.basic gmail.settings.sharing
  calendar calendar.readonly calendar.events calendar.events.readonly calendar.settings.readonly calendar.calendarlist calendar.calendarlist.readonly
  documents documents.readonly spreadsheets spreadsheets.readonly presentations presentations.readonly
  forms.body forms.body.readonly forms.responses.readonly
  chat.messages chat.messages.readonly chat.messages.create chat.spaces chat.spaces.readonly chat.spaces.create chat.memberships chat.memberships.readonly
  contacts contacts.readonly contacts.other.readonly directory.readonly
  tasks tasks.readonly
  photoslibrary photoslibrary.readonly photoslibrary.appendonly photoslibrary.readonly.appcreateddata photoslibrary.edit.appcreateddata photoslibrary.sharing
  script.projects script.projects.readonly script.deployments script.deployments.readonly
  admin.directory.user admin.directory.user.readonly admin.directory.group admin.directory.group.readonly admin.directory.group.member admin.directory.group.member.readonly
  cloud-platform`.trim().split(/\s+/);
const scopes = ['openid', 'email', 'profile', 'https://mail.google.com/',
  ...googleScopeNames.map((n) => `https://www.googleapis.com/auth/${n}`)];
const knownScopes = new Set(scopes);

// Google's paths, relative to the issuer.
const routes = {
  authorization: '/o/oauth2/v2/auth',
  token: '/token',
  userinfo: '/v1/userinfo',
  jwks: '/oauth2/v3/certs',
  revocation: '/revoke',
  introspection: '/introspect',
  end_session: '/logout',
};

// Grants whose authorization asked for access_type=offline: only those get refresh tokens.
const offlineGrants = new Set();

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const clients = [{
  client_id: clientID,
  client_secret: clientSecret,
  client_name: 'gwmcp (e2e)',
  redirect_uris: [redirectURI],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: clientAuth === 'basic' ? 'client_secret_basic' : 'client_secret_post',
  id_token_signed_response_alg: 'RS256',
}];
if (process.env.IDP_INTROSPECT_CLIENT_ID) {
  // A resource server: it may only introspect tokens (RFC 7662).
  clients.push({
    client_id: process.env.IDP_INTROSPECT_CLIENT_ID,
    client_secret: env('IDP_INTROSPECT_CLIENT_SECRET'),
    redirect_uris: [], grant_types: [], response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
}

function claimsOf(p) {
  const c = { sub: p.sub, email: p.email, email_verified: true, name: `${p.given_name} ${p.family_name}`,
    given_name: p.given_name, family_name: p.family_name, picture: `https://example.invalid/${p.sub}.png`, locale: 'en' };
  if (p.hd) c.hd = p.hd;
  return c;
}

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  routes,
  scopes,
  claims: {
    // "scope" is not Google's: gwmcp-sandbox --trust-userinfo reads it from the userinfo
    // answer to enforce the scopes this provider granted (see README.md, "Drive").
    openid: ['sub', 'scope'],
    email: ['email', 'email_verified', 'hd'],
    profile: ['name', 'given_name', 'family_name', 'picture', 'locale'],
  },
  // Google puts the profile and email claims in the ID token itself.
  conformIdTokenClaims: false,
  // Google's authorization parameters that oidc-provider does not know.
  extraParams: ['access_type', 'include_granted_scopes', 'hd'],
  clientAuthMethods: clientAuth === 'basic' ? ['client_secret_basic'] : ['client_secret_post', 'client_secret_basic'],
  pkce: { required: () => true },
  responseTypes: ['code'],
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async (_ctx, client) => client.clientId === process.env.IDP_INTROSPECT_CLIENT_ID },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: false },
  },
  async findAccount(_ctx, sub) {
    const p = people.find((x) => x.sub === sub);
    if (!p) return undefined;
    return {
      accountId: p.sub,
      async claims(use, scope) {
        const c = claimsOf(p);
        if (use === 'userinfo' && scope) c.scope = scope;
        return c;
      },
    };
  },
  // Google: a refresh token when access_type=offline, whatever the scopes; it lives on
  // after the browser session and is not rotated on use.
  async issueRefreshToken(_ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && offlineGrants.has(code.grantId);
  },
  expiresWithSession: async () => false,
  rotateRefreshToken: false,
  ttl: {
    AccessToken: accessTTL,
    AuthorizationCode: 600,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 14 * 24 * 3600,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    ctx.body = `<!doctype html><title>Error</title><h1>Error 400: ${esc(out.error)}</h1><p>${esc(out.error_description || '')}</p>`;
  },
});

const log = (msg, fields = {}) => console.error(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));
for (const ev of ['authorization.error', 'grant.error', 'revocation.error', 'userinfo.error', 'introspection.error', 'server_error']) {
  provider.on(ev, (ctx, err) => log(ev, { error: err?.error ?? err?.message, description: err?.error_description, path: ctx?.path }));
}
provider.on('grant.success', (ctx) => log('grant.success', { grant_type: ctx.oidc.params?.grant_type, auth: ctx.oidc.client?.clientAuthMethod }));
provider.on('revocation.success', (ctx) => log('revocation.success', { auth: ctx.oidc.client?.clientAuthMethod }));
provider.on('authorization.success', () => log('authorization.success'));

// interaction completes the login and consent prompts for the configured person.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    log('auto login', { email: person.email, client_id: params.client_id });
    return provider.interactionFinished(req, res, { login: { accountId: person.sub } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, s] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, s.join(' '));
    const grantId = await grant.save();
    if (params.access_type === 'offline') offlineGrants.add(grantId);
    log('auto consent', { client_id: params.client_id, scopes: String(params.scope).split(' ').length, offline: params.access_type === 'offline' });
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(400, { 'content-type': 'text/plain' });
  res.end(`unexpected prompt ${prompt.name}`);
}

// googleCompat applies Google's rules that oidc-provider leaves open. It returns false when it
// answered the request itself.
function googleCompat(req, res, url) {
  if (url.pathname !== routes.authorization) return true;
  const requested = (url.searchParams.get('scope') || '').split(' ').filter(Boolean);
  const unknown = requested.filter((s) => !knownScopes.has(s));
  if (unknown.length) {
    // Google shows "Error 400: invalid_scope" and does not redirect.
    log('invalid_scope', { scopes: unknown });
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Error</title><h1>Error 400: invalid_scope</h1><p>Some requested scopes were invalid: ${unknown.length}</p>`);
    return false;
  }
  // prompt=select_account shows Google's account chooser; here the configured person is
  // always the one who signs in, so it means nothing more than a login.
  const prompt = url.searchParams.get('prompt');
  if (prompt && prompt.split(' ').includes('select_account')) {
    const rest = prompt.split(' ').filter((p) => p !== 'select_account');
    if (rest.length) url.searchParams.set('prompt', rest.join(' '));
    else url.searchParams.delete('prompt');
    req.url = url.pathname + url.search;
  }
  return true;
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/interaction/')) {
      await interaction(req, res);
      return;
    }
    if (!googleCompat(req, res, url)) return;
    callback(req, res);
  } catch (err) {
    log('request failed', { path: url.pathname, error: err?.message });
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain' });
    }
    res.end('internal error');
  }
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(`issuer=${issuer}\n`);
log('idp running', { issuer, client_id: clientID, login: person.email, client_auth: clientAuth });
