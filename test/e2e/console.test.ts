import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/**
 * The console in a real browser (Debian's Chromium, headless, through playwright-core): sign in →
 * create → publish → fire → the timeline updates live (SSE) → approve → replay, with a screenshot of
 * each page (1280 px and 390 px) under .test-results/console/ and axe-core on each page: no serious
 * or critical violation. The CSP stays on: axe is evaluated through the DevTools protocol, and any
 * CSP violation the console itself causes fails the test.
 */
const CHROMIUM = process.env.FLOWGATE_CHROMIUM ?? '/usr/bin/chromium';
const OUT = join(ROOT, '.test-results', 'console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

describe('console (browser)', () => {
  let stack: Stack;
  let callbacks: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  const axeResults: Record<string, AxeViolation[]> = {};

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it), or set FLOWGATE_CHROMIUM`);
    mkdirSync(OUT, { recursive: true });
    callbacks = await new Receiver(() => ({ status: 204 })).start();
    // One after the other: a failed stack start must not leave a browser nobody closes.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    stack = await Stack.start('console');
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    writeFileSync(join(OUT, 'axe.json'), JSON.stringify(axeResults, null, 2));
    await browser?.close();
    await stack?.stop();
    await callbacks?.stop();
  });

  /** A screenshot at 1280 px and at 390 px, and axe on the page. */
  const check = async (name: string) => {
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(OUT, `${name}-390.png`), fullPage: true });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    await page.setViewportSize({ width: 1280, height: 900 });
    expect({ name, overflow }).toEqual({ name, overflow: 0 });
    const violations = await page.evaluate<AxeViolation[]>(
      `${AXE}; axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })))`,
    );
    axeResults[name] = violations;
    expect({ name, serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical') }).toEqual({ name, serious: [] });
  };
  const text = (selector: string) => page.locator(selector).first().innerText();

  it('sign in → create → publish → fire → live timeline → approve → replay, every page screenshotted and checked by axe', async () => {
    // / redirects to the console; a wrong key is refused and nothing is stored.
    await page.goto(`${stack.ingressUrl}/`);
    expect(page.url()).toBe(`${stack.ingressUrl}/console/`);
    await page.getByLabel('API key').fill('fgk_not_a_key_of_this_installation');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await check('sign-in');
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    expect(page.url()).not.toContain(stack.apiKey);

    // Create: a delay (so the run is watched while it moves), an approval, a transform.
    const definition = {
      name: 'console-order',
      max_concurrent_executions: 0,
      on_success_url: callbacks.url('/done'),
      steps: [
        { id: 'pause', type: 'delay', duration_s: 2 },
        { id: 'review', type: 'approval', message: 'Ship order {{trigger.body.order}}?' },
        { id: 'ship', type: 'transform', expression: '"shipped " & trigger.body.order' },
      ],
    };
    await page.getByRole('textbox', { name: /^Definition/ }).fill(JSON.stringify(definition, null, 2));
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'console-order' }).waitFor();
    const workflowId = page.url().split('/').pop() ?? '';
    expect(workflowId).toMatch(/^wf_/);

    // A 422: its issues are listed at their paths; nothing is saved.
    await page
      .getByRole('textbox', { name: /^Definition/ })
      .fill(JSON.stringify({ ...definition, steps: [{ id: 'x', type: 'no_such_type' }] }, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    const issues = page.getByRole('list', { name: 'Problems in the definition' });
    await issues.waitFor();
    expect(await issues.innerText()).toMatch(/^steps\[0\]\.type line 8: Invalid discriminator value/);
    expect((await stack.api('GET', `/v1/workflows/${workflowId}`)).body.definition.steps).toHaveLength(3);
    await page.reload();
    await page.getByRole('heading', { name: 'console-order' }).waitFor();

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published version 1.').waitFor();
    await page.getByText('published v1').waitFor();
    const productionUrl = await text('[data-env-url="production"]');
    expect(productionUrl).toMatch(new RegExp(`^${stack.ingressUrl}/hooks/wh_`));
    expect(await page.getByRole('article', { name: 'production webhook' }).innerText()).toContain('curl');
    await check('workflow');

    // Fire, and open the execution at once: the timeline fills in live (no reload) as it runs.
    const fired = await request(productionUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 'A-17' }),
    });
    expect(fired.status).toBe(202);
    const executionId: string = fired.body.execution_id;
    await page.getByRole('link', { name: 'Executions', exact: true }).click();
    await page.getByRole('link', { name: executionId }).click();
    await page.getByRole('heading', { name: `Execution ${executionId}` }).waitFor();
    await page.getByTestId('live').getByText('live').waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));
    await page.getByText('Ship order A-17?').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-step="pause"] .status').innerText()).toBe('succeeded');
    expect(await page.locator('.page-head .status').innerText()).toBe('waiting');
    expect(navigations).toEqual([]);
    await check('execution-waiting');

    // Approve with a comment: the execution finishes, shown live.
    await page.getByLabel('Comment (optional)').fill('ok from the console');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.page-head .status', { hasText: 'succeeded' }).waitFor({ timeout: 20_000 });
    await page.locator('[data-step="ship"]').waitFor();
    expect(await page.getByRole('region', { name: 'Final output', exact: true }).innerText()).toContain('shipped A-17');
    const done = await stack.waitForExecution(executionId);
    expect(done.step_executions[1].output).toMatchObject({ decision: 'approved', comment: 'ok from the console' });
    await check('execution-succeeded');

    // Replay: a new execution of the same input, which links back to the original.
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Replay of').waitFor();
    const replayId = page.url().split('/').pop() ?? '';
    expect(replayId).not.toBe(executionId);
    expect(await page.locator('.facts').first().innerText()).toContain(executionId);
    expect((await stack.api('GET', `/v1/executions/${replayId}`)).body.replay_of).toBe(executionId);

    // The other pages.
    await page.getByRole('link', { name: 'Executions', exact: true }).click();
    await page.getByRole('link', { name: replayId }).waitFor();
    await check('executions');
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByLabel('Search by name, webhook token or URL').fill('console-ord');
    await page.getByRole('link', { name: 'console-order' }).waitFor();
    await check('workflows');
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    // The success callback of the first execution: delivered, then redelivered (a second cycle).
    const redeliver = page.getByRole('button', { name: 'Redeliver' }).first();
    await redeliver.waitFor({ timeout: 20_000 }).catch(async () => {
      await page.reload();
      await redeliver.waitFor();
    });
    await check('deliveries');
    await redeliver.click();
    await page
      .getByRole('status')
      .getByText(/queued: cycle 2/)
      .waitFor();
    const deadline = Date.now() + 20_000;
    while (callbacks.requests.filter((r) => r.path === '/done').length < 2 && Date.now() < deadline) await sleep(100);
    expect(callbacks.requests.filter((r) => r.path === '/done')).toHaveLength(2);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page
      .locator('code', { hasText: stack.apiKey.slice(0, 8) })
      .first()
      .waitFor();
    await check('settings');

    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The key stayed in sessionStorage: not in a cookie, not in localStorage.
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    for (const service of ['ingress', 'execution', 'scheduler', 'callback'] as const)
      expect(stack.logs(service)).not.toContain(stack.apiKey);
  });
});
