// inspector.mjs: client 2 of gwmcp's Node end-to-end suite. The MCP Inspector (npm
// @modelcontextprotocol/inspector, pinned in package.json) in CLI mode talks to gwmcp over
// Streamable HTTP and runs its own OAuth client: it gets the 401, discovers, registers (DCR),
// listens on its loopback callback and "opens a browser" at gwmcp's authorization URL. Here
// the browser is headless Chromium (browser.mjs): it approves gwmcp's consent page, the
// upstream provider signs bob in, and the Inspector exchanges the code itself. Then:
//
//   1. tools/list (the run that logged in) lists gwmcp's tools;
//   2. tools/call check_auth_status with --stored-auth-only (the token the Inspector stored,
//      no new login) names bob@sandbox.example;
//   3. the same call from a fresh Inspector home (no stored token) is refused with
//      auth_required: the token was really needed.
//
// The Inspector's home (its catalog, OAuth state and secrets file) is a temporary directory
// removed at the end; BROWSER=true keeps it from starting any other browser.
// Environment: GWMCP_URL, CHROMIUM, WORK_DIR (default a temporary directory), EXPECT_EMAIL.
// Prints "ok - ..." or "FAIL - ..." per step; exits 0 only when all pass.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBrowser } from './browser.mjs';

const here = import.meta.dirname;
const inspectorBin = path.join(here, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
const base = (process.env.GWMCP_URL || '').replace(/\/$/, '');
if (!base) {
  console.error('inspector: GWMCP_URL is required');
  process.exit(2);
}
const expectEmail = process.env.EXPECT_EMAIL || 'bob@sandbox.example';
const work = await mkdtemp(path.join(process.env.WORK_DIR || tmpdir(), 'inspector-'));
let failures = 0;
const ok = (m) => console.log(`ok - ${m}`);
const fail = (m) => { failures++; console.log(`FAIL - ${m}`); };
const check = (c, m, d = '') => { if (c) ok(m); else fail(d ? `${m}: ${d}` : m); return c; };
const short = (s, n = 300) => (s.length > n ? s.slice(0, n) + '...' : s);
const watchdog = setTimeout(() => { console.log('FAIL - timed out'); process.exit(1); }, 90000);

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// inspector runs the Inspector CLI with home as its HOME; onStderr sees each stderr line.
async function inspector(home, args, onStderr = () => {}) {
  await mkdir(home, { recursive: true, mode: 0o700 });
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', BROWSER: 'true', MCP_AUTO_OPEN_ENABLED: 'true',
      MCP_INSPECTOR_SECRET_STORE: 'file' };
    const child = spawn(process.execPath, [inspectorBin, '--cli', '--server-url', `${base}/mcp`, '--transport', 'http', '--format', 'json', ...args],
      { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => {
      err += c;
      buf += c;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onStderr(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    const timer = setTimeout(() => child.kill(), 60000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json;
      try { json = JSON.parse(out); } catch { /* reported by the caller */ }
      resolve({ code, out, err, json });
    });
  });
}

const browser = await openBrowser();
try {
  const home = path.join(work, 'home');
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/oauth/callback`;

  // 1. tools/list: the Inspector logs in through the browser.
  let approving;
  const list = await inspector(home, ['--method', 'tools/list', '--callback-url', callback], (line) => {
    const m = /^Please navigate to: (\S+)/.exec(line);
    if (m && !approving) {
      const url = new URL(m[1]);
      check(url.origin === new URL(base).origin && url.pathname === '/oauth/authorize', 'the Inspector sent the browser to gwmcp\'s /oauth/authorize',
        url.origin + url.pathname);
      check(url.searchParams.get('code_challenge_method') === 'S256' && url.searchParams.get('redirect_uri') === callback,
        'with PKCE S256 and its loopback callback');
      approving = browser.approve(url, callback).then(
        ({ callback: landed, heading }) => {
          const u = new URL(landed);
          check(!!u.searchParams.get('code') && u.searchParams.get('iss') === base, `Chromium approved "${heading}"; the callback carries a code and gwmcp's iss`);
        },
        (e) => fail(`browser: ${e.message}`));
    }
  });
  await approving;
  check(!!approving, 'the Inspector ran its OAuth flow (it printed the authorization URL)', short(list.err));
  const tools = list.json?.result?.tools?.map((t) => t.name) ?? [];
  check(list.code === 0 && tools.includes('check_auth_status') && tools.includes('health_check'),
    `tools/list through the Inspector: ${tools.length} tools, check_auth_status among them`, `exit ${list.code}: ${short(list.out || list.err)}`);

  // 2. tools/call with the token the Inspector stored.
  const call = await inspector(home, ['--method', 'tools/call', '--tool-name', 'check_auth_status', '--stored-auth-only']);
  const text = (call.json?.result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
  check(call.code === 0 && call.json?.result?.isError !== true && text.includes(expectEmail),
    `tools/call check_auth_status with the stored token names ${expectEmail}`, `exit ${call.code}: ${short(call.out || call.err)}`);

  // 3. Without a stored token the same call is refused.
  const anon = await inspector(path.join(work, 'fresh'), ['--method', 'tools/call', '--tool-name', 'check_auth_status', '--stored-auth-only']);
  check(anon.code !== 0 && /auth_required/.test(anon.out + anon.err), 'without a token the Inspector is refused (auth_required)',
    `exit ${anon.code}: ${short(anon.out + anon.err)}`);
} catch (e) {
  fail(`unexpected: ${e?.stack || e}`);
} finally {
  await browser.close();
  await rm(work, { recursive: true, force: true });
}
console.log(`${failures === 0 ? 'PASS' : 'FAIL'}: ${failures} failed`);
clearTimeout(watchdog);
process.exit(failures === 0 ? 0 : 1);
