// browser.mjs: the person's browser for the clients of gwmcp's Node end-to-end suite that run
// their own OAuth client (the MCP Inspector CLI, the conformance suite's authorization mode,
// login.mjs). A real headless Chromium (playwright-core, Debian's /usr/bin/chromium, a fresh
// profile) opens an authorization URL, approves gwmcp's consent page, lets the upstream
// provider (idp.mjs) sign bob in by itself and follows the redirects until the browser reaches
// the client's loopback redirect URI. Nothing here prints a token or a code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

// openBrowser starts Chromium with a fresh profile; close() removes the profile.
export async function openBrowser(executablePath = process.env.CHROMIUM || '/usr/bin/chromium') {
  const profile = await mkdtemp(path.join(tmpdir(), 'gwmcp-e2e-chromium-'));
  // playwright passes the profile as --user-data-dir (it refuses the flag in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    approve: (url, redirectPrefix, opts) => approve(context, url, redirectPrefix, opts),
    async close() {
      // Playwright kills the browser when this process exits, should close() ever hang.
      await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 10000).unref())]);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// approve opens url, clicks gwmcp's Approve button and waits until the browser has asked for a
// URL starting with redirectPrefix (the client's loopback redirect URI). It returns that URL
// (with code, state and iss) and the consent page's heading. opts.screenshot saves the consent
// page as a PNG.
async function approve(context, url, redirectPrefix, opts = {}) {
  await context.clearCookies();
  const page = await context.newPage();
  try {
    const landed = new Promise((resolve) => {
      page.on('request', (req) => { if (req.url().startsWith(redirectPrefix)) resolve(req.url()); });
    });
    await page.goto(String(url));
    const button = page.getByRole('button', { name: /^(Approve|Allow)$/ });
    await button.waitFor({ timeout: 15000 });
    const heading = await page.locator('h1').innerText().catch(() => '');
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    await button.click();
    const timeout = new Promise((r) => setTimeout(() => r(null), opts.timeoutMs ?? 20000).unref());
    const callback = await Promise.race([landed, timeout]);
    if (!callback) throw new Error(`the browser never reached ${redirectPrefix} (stopped at ${page.url().split('?')[0]})`);
    // Let the client's callback page load before the page closes.
    await page.waitForLoadState('load', { timeout: 5000 }).catch(() => {});
    return { callback, heading };
  } finally {
    // page.close() has been seen to hang after a cross-origin redirect: wait at most 5 s.
    await Promise.race([page.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
