// cimd.mjs: client 1's second run. The official MCP TypeScript SDK logs in to gwmcp with a
// client ID metadata document (draft-ietf-oauth-client-id-metadata-document, SEP-991) instead
// of registering: its client_id is the https URL of a JSON document this script serves itself
// on 127.0.0.1 with the self-signed certificate run.sh made (gwmcp's conformance build trusts
// it through GWMCP_TEST_CIMD_CA and may fetch it from loopback; the product build may not).
// gwmcp fetches the document, headless Chromium approves gwmcp's consent page (it must show the
// document's client_name), the upstream provider signs bob in, the SDK exchanges the code,
// lists the tools and calls check_auth_status. No registration request may be made.
//
// Environment: GWMCP_URL (gwmcp's BASE_URL), CIMD_CERT and CIMD_KEY (PEM files for
// 127.0.0.1), CHROMIUM, OUT_DIR (default ./out), EXPECT_EMAIL.
// Each step prints one line "ok - ..." or "FAIL - ..."; the exit code is 0 only when all pass.
import http from 'node:http';
import https from 'node:https';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { openBrowser } from './browser.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) { console.error(`cimd: ${name} is required`); process.exit(2); }
  return v;
};
const base = env('GWMCP_URL').replace(/\/$/, '');
const [cert, key] = await Promise.all([readFile(env('CIMD_CERT')), readFile(env('CIMD_KEY'))]);
const outDir = process.env.OUT_DIR || path.join(import.meta.dirname, 'out');
const expectEmail = process.env.EXPECT_EMAIL || 'bob@sandbox.example';
const clientName = 'Node SDK e2e (client ID metadata document)';
const mcpURL = new URL(base + '/mcp');

let failures = 0;
let step = 'start';
const watchdog = setTimeout(() => { console.log(`FAIL - timed out during: ${step}`); process.exit(1); }, 90000);
const ok = (msg) => console.log(`ok - ${msg}`);
const fail = (msg) => { failures++; console.log(`FAIL - ${msg}`); };
const check = (cond, msg, detail = '') => { if (cond) ok(msg); else fail(detail ? `${msg}: ${detail}` : msg); return cond; };
const textOf = (res) => (res?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');

// The loopback redirect URI.
const callbackServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in; you can close this window.');
});
await new Promise((r) => callbackServer.listen(0, '127.0.0.1', r));
const redirectURL = `http://127.0.0.1:${callbackServer.address().port}/callback`;

// The metadata documents, over https on loopback. /client.json is the real one; /mismatch.json
// claims another URL as its client_id and must be refused.
const fetches = [];
const docServer = https.createServer({ cert, key }, (req, res) => {
  fetches.push(req.url);
  const doc = { '/oauth/client.json': docURL, '/oauth/mismatch.json': docURL }[req.url]; // both claim docURL
  if (!doc) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
  res.end(JSON.stringify({
    client_id: doc, client_name: clientName, redirect_uris: [redirectURL],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
  }));
});
await new Promise((r) => docServer.listen(0, '127.0.0.1', r));
const docOrigin = `https://127.0.0.1:${docServer.address().port}`;
const docURL = `${docOrigin}/oauth/client.json`;
const mismatchURL = `${docOrigin}/oauth/mismatch.json`;

// Every request the SDK makes goes through here, so a registration attempt is seen.
const sdkRequests = [];
const recordingFetch = (url, init) => { sdkRequests.push(`${init?.method || 'GET'} ${String(url instanceof Request ? url.url : url)}`); return fetch(url, init); };

const state = `st-${Math.random().toString(36).slice(2)}`;
const store = {};
let authorizationURL;
const provider = {
  clientMetadataUrl: docURL,
  get redirectUrl() { return redirectURL; },
  get clientMetadata() {
    return { client_name: clientName, redirect_uris: [redirectURL], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  },
  state: () => state,
  clientInformation: () => store.client,
  saveClientInformation: (c) => { store.client = c; },
  tokens: () => store.tokens,
  saveTokens: (t) => { store.tokens = t; },
  saveCodeVerifier: (v) => { store.verifier = v; },
  codeVerifier: () => store.verifier,
  discoveryState: () => store.discovery,
  saveDiscoveryState: (s) => { store.discovery = s; },
  redirectToAuthorization: (url) => { authorizationURL = url; },
};
const transportFor = () => new StreamableHTTPClientTransport(mcpURL, { authProvider: provider, fetch: recordingFetch });

const browser = await openBrowser();
async function main() {
  step = 'authorization server metadata';
  const meta = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
  check(meta.client_id_metadata_document_supported === true, 'gwmcp announces client_id_metadata_document_supported');

  // A document whose client_id is not its own URL is refused, without a redirect to the client.
  step = 'mismatched document';
  const bad = await fetch(`${meta.authorization_endpoint}?${new URLSearchParams({ client_id: mismatchURL, redirect_uri: redirectURL,
    response_type: 'code', state, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`,
  { redirect: 'manual' });
  check(bad.status >= 400 && bad.status < 500 && !bad.headers.get('location'),
    'gwmcp refuses a metadata document whose client_id is not its URL, without redirecting', `${bad.status} ${bad.headers.get('location') || ''}`);
  check(fetches.includes('/oauth/mismatch.json'), 'gwmcp fetched that document (from loopback, conformance build)', JSON.stringify(fetches));

  step = 'sdk: connect (expect 401 and discovery)';
  try {
    await new Client({ name: 'gwmcp-e2e-node-cimd', version: '1.0.0' }).connect(transportFor());
    throw new Error('connected without a token');
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !authorizationURL) throw err;
  }
  check(store.client?.client_id === docURL, 'the SDK uses the metadata document URL as its client_id', store.client?.client_id);
  const registrations = sdkRequests.filter((r) => meta.registration_endpoint && r.includes(meta.registration_endpoint));
  check(registrations.length === 0, 'the SDK made no registration request (no DCR)', registrations.join(', '));
  check(authorizationURL.origin === new URL(base).origin && authorizationURL.pathname === '/oauth/authorize'
    && authorizationURL.searchParams.get('client_id') === docURL && authorizationURL.searchParams.get('code_challenge_method') === 'S256',
  'the authorization URL is gwmcp\'s /oauth/authorize with the document URL and PKCE S256', authorizationURL.toString().split('?')[0]);

  step = 'browser: consent';
  await mkdir(outDir, { recursive: true });
  const { callback, heading } = await browser.approve(authorizationURL, redirectURL, { screenshot: path.join(outDir, 'consent-cimd.png') });
  check(heading.includes(clientName), 'the consent page shows the document\'s client_name', heading);
  check(fetches.includes('/oauth/client.json'), 'gwmcp fetched the metadata document over https from loopback');
  const landing = new URL(callback);
  check(landing.searchParams.get('state') === state, 'the callback carries our state');
  check(landing.searchParams.get('iss') === meta.issuer, `the callback carries gwmcp's iss ${landing.searchParams.get('iss')}`);
  const code = landing.searchParams.get('code');
  if (!code) throw new Error(`no code at the callback: error=${landing.searchParams.get('error')}`);

  step = 'sdk: finishAuth (code exchange)';
  const t = transportFor();
  await t.finishAuth(code);
  check(!!store.tokens?.access_token, 'the SDK exchanged the code (client_id = document URL, no secret)');
  step = 'sdk: connect with the token';
  const client = new Client({ name: 'gwmcp-e2e-node-cimd', version: '1.0.0' });
  await client.connect(transportFor());
  ok(`connected: ${client.getServerVersion()?.name} ${client.getServerVersion()?.version}`);
  step = 'tools';
  const tools = (await client.listTools()).tools.map((x) => x.name);
  check(tools.includes('check_auth_status'), `tools/list: ${tools.length} tools`);
  const status = textOf(await client.callTool({ name: 'check_auth_status', arguments: {} }));
  check(status.includes(expectEmail), `check_auth_status names ${expectEmail}`, status.slice(0, 300));
  check(sdkRequests.every((r) => !meta.registration_endpoint || !r.includes(meta.registration_endpoint)), 'still no registration request');
  await client.close().catch(() => {});
}

try {
  await main();
} catch (err) {
  fail(`unexpected during ${step}: ${err?.stack || err}`);
} finally {
  await browser.close();
  callbackServer.close();
  docServer.close();
  docServer.closeAllConnections?.();
}
console.log(`${failures === 0 ? 'PASS' : 'FAIL'}: ${failures} failed`);
clearTimeout(watchdog);
process.exit(failures === 0 ? 0 : 1);
