// client.mjs: client 1 of gwmcp's Node end-to-end suite. The official MCP TypeScript SDK
// connects to gwmcp over Streamable HTTP, gets the 401, discovers, registers (DCR) and sends
// a real headless Chromium (playwright-core) to the authorization URL: the browser approves
// gwmcp's consent page, the upstream OpenID provider (idp.mjs) signs bob in by itself, and the
// browser lands on this script's loopback callback. The SDK then exchanges the code, lists
// tools, calls check_auth_status (and a Drive tool when GWMCP_DRIVE=1), refreshes its token
// through its own 401 path, revokes the token at gwmcp and sees 401 afterwards.
//
// Environment: GWMCP_URL (gwmcp's BASE_URL), IDP_ISSUER and IDP_CLIENT_ID (for the checks of
// the provider's strictness), CHROMIUM (default /usr/bin/chromium), OUT_DIR (default ./out),
// GWMCP_DRIVE (1 to require the Drive step, else it is reported pending), EXPECT_EMAIL.
// Each step prints one line "ok - ..." or "FAIL - ..."; the exit code is 0 only when all pass.
import http from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const base = mustEnv('GWMCP_URL').replace(/\/$/, '');
const idpIssuer = mustEnv('IDP_ISSUER');
const idpClientID = mustEnv('IDP_CLIENT_ID');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const outDir = process.env.OUT_DIR || path.join(import.meta.dirname, 'out');
const wantDrive = process.env.GWMCP_DRIVE === '1';
const expectEmail = process.env.EXPECT_EMAIL || 'bob@sandbox.example';
const clientName = 'Node SDK <b>& Chromium</b> e2e';
const mcpURL = new URL(base + '/mcp');

function mustEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`client: ${name} is required`);
    process.exit(2);
  }
  return v;
}

let failures = 0;
const pending = [];
// A watchdog: no step may hang the suite; it names the step it was in.
let step = 'start';
const watchdog = setTimeout(() => {
  console.log(`FAIL - timed out after ${watchdogSeconds} s during: ${step}`);
  process.exit(1);
}, (process.env.CLIENT_TIMEOUT_SECONDS || 120) * 1000);
const watchdogSeconds = process.env.CLIENT_TIMEOUT_SECONDS || 120;
const at = (s) => { step = s; if (process.env.CLIENT_TRACE) console.log(`# ${new Date().toISOString()} ${s}`); };
function ok(msg) { console.log(`ok - ${msg}`); }
function fail(msg) { failures++; console.log(`FAIL - ${msg}`); }
function check(cond, msg, detail = '') { if (cond) ok(msg); else fail(detail ? `${msg}: ${detail}` : msg); return cond; }
function textOf(res) { return (res?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join(''); }
const short = (s, n = 300) => (s.length > n ? s.slice(0, n) + '...' : s);

// The loopback redirect URI: the browser lands here with code, state and iss.
const landings = [];
let landed;
const callbackServer = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  if (u.pathname !== '/callback') {
    res.writeHead(404).end();
    return;
  }
  landings.push(u);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
  landed?.(u);
});
await new Promise((r) => callbackServer.listen(0, '127.0.0.1', r));
const redirectURL = `http://127.0.0.1:${callbackServer.address().port}/callback`;

// A real Chromium with a fresh profile.
const profile = await mkdtemp(path.join(tmpdir(), 'gwmcp-e2e-chromium-'));
await mkdir(outDir, { recursive: true });
// playwright passes the profile as --user-data-dir (it refuses the flag in args).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

// The SDK's OAuth client provider: everything kept in memory, the browser plays the person.
const state = `st-${Math.random().toString(36).slice(2)}`;
const store = { client: undefined, tokens: undefined, verifier: undefined, discovery: undefined, saved: [] };
let allowAuthorization = true;
let consentChecked = false;
const provider = {
  get redirectUrl() { return redirectURL; },
  get clientMetadata() {
    return {
      client_name: clientName,
      redirect_uris: [redirectURL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  state: () => state,
  clientInformation: () => store.client,
  saveClientInformation: (info) => { store.client = info; },
  tokens: () => store.tokens,
  saveTokens: (t) => { store.tokens = t; store.saved.push(t); },
  saveCodeVerifier: (v) => { store.verifier = v; },
  codeVerifier: () => store.verifier,
  discoveryState: () => store.discovery,
  saveDiscoveryState: (s) => { store.discovery = s; },
  invalidateCredentials: (scope) => {
    if (scope === 'all' || scope === 'client') store.client = undefined;
    if (scope === 'all' || scope === 'tokens') store.tokens = undefined;
    if (scope === 'all' || scope === 'verifier') store.verifier = undefined;
  },
  async redirectToAuthorization(url) {
    if (!allowAuthorization) throw new Error('the SDK asked for a new login');
    authorizationURL = url;
  },
};
let authorizationURL;

// browse takes the browser through gwmcp's consent page to the loopback callback.
async function browse(url) {
  await browser.clearCookies();
  const page = await browser.newPage();
  const arrived = new Promise((resolve) => { landed = resolve; });
  at('browser: open the authorization URL');
  await page.goto(url.toString());
  const approve = page.getByRole('button', { name: /^(Approve|Allow)$/ });
  await approve.waitFor({ timeout: 15000 });
  await page.screenshot({ path: path.join(outDir, 'consent.png'), fullPage: true });
  if (!consentChecked) {
    consentChecked = true;
    const h1 = await page.locator('h1').innerText();
    check(h1.includes(clientName), 'consent page shows the client name as text (escaped)', h1);
    check(await page.locator('h1 b').count() === 0, 'consent page did not render the name\'s <b> as markup');
    const host = new URL(redirectURL).host;
    const hosts = await page.locator('.host').allInnerTexts();
    check(hosts.some((h) => h.includes(host)), `consent page shows the redirect host ${host}`, JSON.stringify(hosts));
    const services = await page.locator('input[name=service]').evaluateAll((els) => els.map((e) => e.value));
    const labels = await page.locator('label').allInnerTexts();
    check(services.length > 0, `consent page lists the requested services: ${labels.map((l) => l.trim()).join(', ')}`);
    check(services.includes('drive'), 'the services include Drive', JSON.stringify(services));
  }
  // Wait for the callback from before the click: the click's own wait for the navigation and
  // the callback's arrival must not depend on each other.
  const within = Promise.race([arrived, new Promise((r) => setTimeout(() => r(null), 20000).unref())]);
  at('browser: click Approve');
  await approve.click();
  at('browser: wait for the callback');
  const u = await within;
  const finalURL = page.url();
  at('browser: close the page');
  // page.close() has been seen to hang in headless Chromium after a cross-origin redirect;
  // the page is done with, and the browser is killed at exit, so wait at most 5 s.
  await Promise.race([page.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
  if (!u) throw new Error(`the browser never reached the callback (stopped at ${finalURL.split('?')[0]})`);
  return u;
}

// connect opens an MCP session; on 401 it runs the browser login once and connects again.
async function connect() {
  const client = new Client({ name: 'gwmcp-e2e-node', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider });
  at('sdk: connect (expect 401, discovery, registration)');
  try {
    await client.connect(transport);
    return { client, transport };
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !authorizationURL) throw err;
  }
  ok(`the SDK got 401, discovered, registered (client ${store.client?.client_id?.slice(0, 8)}...) and built the authorization URL`);
  check(authorizationURL.origin === new URL(base).origin && authorizationURL.pathname === '/oauth/authorize',
    'the authorization URL is gwmcp\'s /oauth/authorize', authorizationURL.toString().split('?')[0]);
  const landing = await browse(authorizationURL);
  check(landing.searchParams.get('state') === state, 'the callback carries our state');
  const iss = landing.searchParams.get('iss');
  const asIssuer = store.discovery?.authorizationServerMetadata?.issuer;
  check(iss && iss === asIssuer, `the callback carries gwmcp's iss (RFC 9207) ${iss}`, `want ${asIssuer}`);
  check(!iss?.startsWith(idpIssuer), 'no upstream issuer reaches the client');
  const code = landing.searchParams.get('code');
  if (!code) throw new Error(`no code at the callback: error=${landing.searchParams.get('error')}`);
  at('sdk: finishAuth (code exchange)');
  await transport.finishAuth(code);
  check(!!store.tokens?.access_token && !!store.tokens?.refresh_token, 'the SDK exchanged the code for an access and a refresh token');
  const again = new Client({ name: 'gwmcp-e2e-node', version: '1.0.0' });
  const t2 = new StreamableHTTPClientTransport(mcpURL, { authProvider: provider });
  at('sdk: connect with the token');
  await again.connect(t2);
  return { client: again, transport: t2 };
}

// idpChecks: the upstream provider is strict about redirect URIs, PKCE and scopes.
async function idpChecks() {
  const disc = await (await fetch(`${idpIssuer}/.well-known/openid-configuration`)).json();
  check(disc.authorization_endpoint === `${idpIssuer}/o/oauth2/v2/auth` && disc.token_endpoint === `${idpIssuer}/token`
    && disc.userinfo_endpoint === `${idpIssuer}/v1/userinfo` && disc.jwks_uri === `${idpIssuer}/oauth2/v3/certs`
    && disc.revocation_endpoint === `${idpIssuer}/revoke`, 'the provider serves Google\'s endpoint paths');
  const authz = (params) => fetch(`${disc.authorization_endpoint}?${new URLSearchParams({ client_id: idpClientID, response_type: 'code',
    scope: 'openid email', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params })}`, { redirect: 'manual' });
  const registered = `${base}/oauth2callback`;
  let r = await authz({ redirect_uri: 'http://127.0.0.1:1/evil' });
  check(r.status === 400 && !r.headers.get('location'), 'the provider refuses an unregistered redirect URI without redirecting', `${r.status}`);
  r = await authz({ redirect_uri: registered + '/x' });
  check(r.status === 400 && !r.headers.get('location'), 'the provider refuses a redirect URI that only starts with the registered one', `${r.status}`);
  r = await authz({ redirect_uri: registered, code_challenge: '', code_challenge_method: '' });
  const loc = r.headers.get('location') || '';
  check(r.status >= 300 && r.status < 400 && loc.startsWith(registered) && new URL(loc).searchParams.get('error') === 'invalid_request',
    'the provider refuses an authorization without PKCE', `${r.status} ${loc.split('?')[0]}`);
  r = await authz({ redirect_uri: registered, code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) });
  const loc2 = r.headers.get('location') || '';
  check(loc2.startsWith(registered) && !!new URL(loc2).searchParams.get('error'), 'the provider refuses PKCE plain');
  r = await authz({ redirect_uri: registered, scope: 'openid https://www.googleapis.com/auth/not-a-scope' });
  check(r.status === 400, 'the provider refuses an unknown scope (invalid_scope)', `${r.status}`);
}

async function rawMCP(token) {
  return fetch(mcpURL, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

async function main() {
  const started = Date.now();
  at('provider checks');
  await idpChecks();

  // 1. The unauthenticated request is refused with the resource metadata pointer.
  const r0 = await fetch(mcpURL, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  check(r0.status === 401 && /resource_metadata="/.test(r0.headers.get('www-authenticate') || ''), 'gwmcp answers 401 with WWW-Authenticate resource_metadata',
    `${r0.status} ${r0.headers.get('www-authenticate')}`);

  // 2. Login through the SDK, gwmcp's consent page, the provider, back to the callback.
  const { client } = await connect();
  ok(`connected: ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}`);
  at('tools/list and calls');
  const tools = (await client.listTools()).tools.map((t) => t.name);
  check(tools.includes('check_auth_status'), `tools/list: ${tools.length} tools`);

  const status = textOf(await client.callTool({ name: 'check_auth_status', arguments: {} }));
  check(status.includes(expectEmail), `check_auth_status names ${expectEmail}`, short(status));

  // 3. Drive through GOOGLE_API_BASE_URL.
  const driveCall = async (label) => {
    const res = await client.callTool({ name: 'search_drive_files', arguments: { query: 'name contains \'Notes\'' } });
    const text = textOf(res);
    if (wantDrive) check(!res.isError && text.includes('Bob\'s Notes.txt'), `${label}: search_drive_files finds Bob's Notes.txt in the sandbox Drive`, short(text));
    else pending.push(`${label}: search_drive_files (GWMCP_DRIVE unset; it answered ${res.isError ? 'a tool error' : 'a result'}: ${short(text, 160)})`);
  };
  await driveCall('drive');

  // 4. Token refresh through the SDK's own 401 path: the stored access token goes bad, the next
  //    call gets 401, the SDK refreshes with its refresh token and retries.
  at('refresh');
  const before = store.tokens;
  store.tokens = { ...before, access_token: before.access_token.slice(0, -4) + 'AAAA' };
  const status2 = textOf(await client.callTool({ name: 'check_auth_status', arguments: {} }));
  const after = store.tokens;
  check(after.access_token !== before.access_token && after.access_token !== store.saved[0].access_token && store.saved.length >= 2,
    'the SDK refreshed its token after a 401');
  check(after.refresh_token && after.refresh_token !== before.refresh_token, 'gwmcp rotated the refresh token');
  check(status2.includes(expectEmail), 'check_auth_status works with the refreshed token', short(status2));
  await driveCall('drive after refresh');

  // The old refresh token is now spent.
  const asMeta = store.discovery.authorizationServerMetadata;
  // 5. Revocation (RFC 7009) at gwmcp, then 401.
  at('revocation');
  allowAuthorization = false;
  const revoke = (token, hint) => fetch(asMeta.revocation_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: hint, client_id: store.client.client_id }) });
  const live = store.tokens;
  let rv = await revoke(live.refresh_token, 'refresh_token');
  check(rv.status === 200, `revocation of the refresh token at ${new URL(asMeta.revocation_endpoint).pathname}: 200`, `${rv.status}`);
  let r = await rawMCP(live.access_token);
  const cascaded = r.status === 401;
  if (!cascaded) {
    pending.push(`revoking the refresh token left its access token working (${r.status}); revoking the access token itself next`);
    rv = await revoke(live.access_token, 'access_token');
    check(rv.status === 200, 'revocation of the access token: 200', `${rv.status}`);
    r = await rawMCP(live.access_token);
  }
  check(r.status === 401 && /Bearer/.test(r.headers.get('www-authenticate') || ''), 'the revoked token gets 401 with a Bearer challenge', `${r.status}`);
  const refresh = await fetch(asMeta.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: live.refresh_token, client_id: store.client.client_id }) });
  const rbody = await refresh.json().catch(() => ({}));
  check(refresh.status === 400 && rbody.error === 'invalid_grant', 'the revoked refresh token is refused (invalid_grant)', `${refresh.status} ${rbody.error}`);
  let sdkRefused = false;
  try {
    await client.callTool({ name: 'check_auth_status', arguments: {} });
  } catch (err) {
    sdkRefused = err instanceof UnauthorizedError || /new login|401|Unauthorized/i.test(String(err?.message));
  }
  check(sdkRefused, 'the SDK client is refused after revocation');
  await client.close().catch(() => {});
  console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (err) {
  fail(`unexpected: ${err?.stack || err}`);
} finally {
  at('closing the browser');
  // Playwright kills the browser when this process exits, should close() ever hang.
  await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10000).unref())]);
  callbackServer.close();
  await rm(profile, { recursive: true, force: true });
}
for (const p of pending) console.log(`pending - ${p}`);
console.log(`${failures === 0 ? 'PASS' : 'FAIL'}: ${failures} failed, ${pending.length} pending`);
clearTimeout(watchdog);
process.exit(failures === 0 ? 0 : 1);
