// conformance.mjs: runs the official MCP conformance suite (npm @modelcontextprotocol/conformance,
// pinned in package.json) against gwmcp.
//
//   node conformance.mjs server EXPECTED_FAILURES.yml
//     The server scenarios of the latest released revision (the suite's requirement set
//     2025-11-25: 30 scored scenarios and 3 it runs unscored) against gwmcp's /mcp with a
//     bearer token. The suite's server mode takes no credentials, so it talks to a small
//     loopback proxy that adds `Authorization: Bearer <token>` (from TOKEN_FILE, written by
//     login.mjs) to every request and passes everything else through untouched (Host and
//     Origin included, so the DNS-rebinding scenario still meets gwmcp's own checks),
//     streaming both ways. Scenarios in the expected-failures file must fail, all others pass.
//   node conformance.mjs authorization
//     The authorization-server scenarios against gwmcp's issuer: registers a public client
//     (RFC 7591) whose redirect URI is the suite's loopback callback, starts the suite, and
//     when it prints the authorization URL, headless Chromium approves gwmcp's consent page.
//     The suite then checks the metadata, the authorization response (code, state, iss) and
//     the token response. Every scenario must pass.
//
// Environment: GWMCP_URL; TOKEN_FILE (server); CONFORMANCE_REQUIREMENTS (server: another
// revision's requirement set) or CONFORMANCE_SUITE (server: a --suite instead, e.g. all);
// CHROMIUM (authorization); RESULTS (directory for the suite's checks.json files; default a
// temporary one). Prints the suite's summary and a closing line
// "conformance <mode>: PASS|FAIL (...)".
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBrowser } from './browser.mjs';

const here = import.meta.dirname;
const suiteBin = path.join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const base = (process.env.GWMCP_URL || '').replace(/\/$/, '');
const mode = process.argv[2];
if (!base || !['server', 'authorization'].includes(mode)) {
  console.error('usage: GWMCP_URL=... node conformance.mjs server EXPECTED_FAILURES.yml | authorization');
  process.exit(2);
}
const results = process.env.RESULTS || await mkdtemp(path.join(tmpdir(), 'gwmcp-conformance-'));

// suite runs the conformance CLI; onLine sees each stdout line as it comes.
function suite(args, onLine = () => {}, timeoutMs = 240000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [suiteBin, ...args, '--output-dir', results], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const lines = [];
    const take = (chunk, echo) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        echo(line);
        onLine(line, child);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c) => take(c, (l) => console.log(l)));
    child.stderr.setEncoding('utf8').on('data', (c) => take(c, (l) => console.log(l)));
    const timer = setTimeout(() => { console.log(`FAIL - the suite ran longer than ${timeoutMs / 1000} s`); child.kill(); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); if (buf) console.log(buf); resolve({ code, lines }); });
  });
}

// tally reads every checks.json the suite wrote: scenario -> {passed, failed, warnings}.
async function tally() {
  const out = {};
  for (const d of await readdir(results)) {
    let checks;
    try { checks = JSON.parse(await readFile(path.join(results, d, 'checks.json'), 'utf8')); } catch { continue; }
    const name = d.replace(/^(authorization-server|server)-/, '').replace(/-\d{4}-\d\d-\d\dT.*$/, '');
    const t = out[name] ??= { passed: 0, failed: 0, warnings: 0 };
    for (const c of checks) {
      if (c.status === 'SUCCESS') t.passed++;
      else if (c.status === 'FAILURE') t.failed++;
      else if (c.status === 'WARNING') t.warnings++;
    }
  }
  return out;
}

async function serverMode(expectedFailures) {
  const token = JSON.parse(await readFile(process.env.TOKEN_FILE, 'utf8')).access_token;
  const target = new URL(base);
  // The bearer proxy: the request as the suite sent it, plus the token.
  const proxy = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode, r.rawHeaders.length ? rawToObject(r.rawHeaders) : r.headers);
      r.pipe(res);
      res.on('close', () => r.destroy());
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
    res.on('close', () => up.destroy());
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${proxy.address().port}/mcp`;
  const args = ['server', '--url', url, '--expected-failures', expectedFailures, ...(process.env.CONFORMANCE_SUITE ? ['--suite', process.env.CONFORMANCE_SUITE]
    : ['--requirements', process.env.CONFORMANCE_REQUIREMENTS || '2025-11-25'])];
  const { code } = await suite(args);
  proxy.close();
  proxy.closeAllConnections();
  // The suite lets scenarios it runs unscored fail or pass whatever the baseline says; hold
  // every scenario to the list.
  const expected = (await readFile(expectedFailures, 'utf8')).split('\n').map((l) => /^\s*-\s*([\w/.-]+)/.exec(l)?.[1]).filter(Boolean);
  const t = await tally();
  let exact = true;
  for (const [name, r] of Object.entries(t)) {
    if (r.failed > 0 && !expected.includes(name)) { exact = false; console.log(`FAIL - ${name} failed and is not in ${path.basename(expectedFailures)}`); }
    if (r.failed === 0 && expected.includes(name)) { exact = false; console.log(`FAIL - ${name} passed but is listed in ${path.basename(expectedFailures)}`); }
  }
  for (const name of expected) if (!t[name]) { exact = false; console.log(`FAIL - ${name} is listed but did not run`); }
  return exact ? code : 1;
}

// rawToObject keeps repeated response headers (Set-Cookie) as arrays.
function rawToObject(raw) {
  const out = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.toLowerCase() === 'transfer-encoding' || k.toLowerCase() === 'connection') continue;
    out[k] = k in out ? [].concat(out[k], raw[i + 1]) : raw[i + 1];
  }
  return out;
}

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function authorizationMode() {
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/callback`;
  const meta = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
  const reg = await fetch(meta.registration_endpoint, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [redirect], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none' }),
  });
  const client = await reg.json();
  if (reg.status !== 201 || !client.client_id) throw new Error(`registration: ${reg.status} ${JSON.stringify(client)}`);
  console.log(`registered the suite's client ${client.client_id.slice(0, 8)}... with redirect URI ${redirect}`);

  const browser = await openBrowser();
  let approving;
  let armed = false;
  try {
    const { code } = await suite(['authorization', '--url', base, '--client-id', client.client_id, '--resource', `${base}/mcp`,
      '--port', String(port)], (line, child) => {
      if (/Access the following URL/.test(line)) { armed = true; return; }
      if (armed && line.startsWith(meta.authorization_endpoint + '?')) {
        armed = false;
        approving = browser.approve(line.trim(), redirect).then(
          ({ heading }) => console.log(`browser: approved "${heading}" and reached the suite's callback`),
          (err) => { console.log(`FAIL - browser: ${err.message}`); child.kill(); });
      }
    });
    await approving;
    if (!approving) console.log('FAIL - the suite never printed an authorization URL');
    return approving ? code : 1;
  } finally {
    await browser.close();
  }
}

let code;
try {
  code = mode === 'server' ? await serverMode(process.argv[3]) : await authorizationMode();
} catch (err) {
  console.log(`FAIL - ${err?.stack || err}`);
  code = 1;
}
const t = await tally();
const names = Object.keys(t).sort();
const failedScenarios = names.filter((n) => t[n].failed > 0);
const checks = names.reduce((a, n) => a + t[n].passed + t[n].failed, 0);
console.log(`# ${names.length} scenarios, ${checks} checks; scenarios with a failed check: ${failedScenarios.join(', ') || 'none'}`);
console.log(`# the suite exited ${code}${code === 0 ? '' : ' (unexpected failures, or a stale expected-failures entry)'}`);
console.log(`conformance ${mode}: ${code === 0 ? 'PASS' : 'FAIL'} (${names.length - failedScenarios.length} scenarios passed, ${failedScenarios.length} failed${mode === 'server' ? ' as expected' : ''})`);
process.exit(code === 0 ? 0 : 1);
