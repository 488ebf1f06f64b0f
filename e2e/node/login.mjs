// login.mjs: gets an access token from gwmcp the way an MCP client does, for the parts of the
// suite that take a bearer token (the conformance suite's server mode). The official MCP
// TypeScript SDK discovers gwmcp's authorization server (RFC 9728, RFC 8414), registers a
// public client (RFC 7591) with a loopback redirect URI and builds the authorization URL
// (PKCE S256, resource indicator); headless Chromium approves gwmcp's consent page and the
// upstream provider signs bob in; the SDK exchanges the code.
//
// Usage: node login.mjs OUT_FILE. Environment: GWMCP_URL (gwmcp's BASE_URL), CHROMIUM,
// LOGIN_CLIENT_NAME. OUT_FILE (mode 0600) receives {"access_token", "refresh_token",
// "client_id"}; stdout only says that it worked, never a token.
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { openBrowser } from './browser.mjs';

const out = process.argv[2];
const base = (process.env.GWMCP_URL || '').replace(/\/$/, '');
if (!out || !base) {
  console.error('usage: GWMCP_URL=... node login.mjs OUT_FILE');
  process.exit(2);
}
const watchdog = setTimeout(() => { console.error('login: timed out'); process.exit(1); }, 60000);

const callbackServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in; you can close this window.');
});
await new Promise((r) => callbackServer.listen(0, '127.0.0.1', r));
const redirectURL = `http://127.0.0.1:${callbackServer.address().port}/callback`;

const state = `st-${Math.random().toString(36).slice(2)}`;
const store = {};
let authorizationURL;
const provider = {
  get redirectUrl() { return redirectURL; },
  get clientMetadata() {
    return { client_name: process.env.LOGIN_CLIENT_NAME || 'gwmcp e2e login', redirect_uris: [redirectURL],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  },
  state: () => state,
  clientInformation: () => store.client,
  saveClientInformation: (c) => { store.client = c; },
  tokens: () => store.tokens,
  saveTokens: (t) => { store.tokens = t; },
  saveCodeVerifier: (v) => { store.verifier = v; },
  codeVerifier: () => store.verifier,
  redirectToAuthorization: (url) => { authorizationURL = url; },
};

const browser = await openBrowser();
let code = 0;
try {
  const serverUrl = new URL(base + '/mcp');
  if (await auth(provider, { serverUrl }) !== 'REDIRECT' || !authorizationURL) throw new Error('the SDK did not start an authorization');
  const { callback } = await browser.approve(authorizationURL, redirectURL);
  const landing = new URL(callback);
  if (landing.searchParams.get('state') !== state) throw new Error('the callback did not carry our state');
  const authorizationCode = landing.searchParams.get('code');
  if (!authorizationCode) throw new Error(`no code at the callback: error=${landing.searchParams.get('error')}`);
  if (await auth(provider, { serverUrl, authorizationCode }) !== 'AUTHORIZED') throw new Error('the code exchange failed');
  await writeFile(out, JSON.stringify({ access_token: store.tokens.access_token, refresh_token: store.tokens.refresh_token,
    client_id: store.client.client_id }), { mode: 0o600 });
  console.log(`login: bob signed in through Chromium; token for client ${store.client.client_id.slice(0, 8)}... saved`);
} catch (err) {
  console.error(`login: ${err?.stack || err}`);
  code = 1;
} finally {
  await browser.close();
  callbackServer.close();
  clearTimeout(watchdog);
}
process.exit(code);
