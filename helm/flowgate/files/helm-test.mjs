// `helm test`: one webhook round trip through the installed release, run by node in the Flowgate image.
// Creates and publishes a one-step workflow, fires its async webhook at the in-cluster ingress Service,
// waits for the execution to succeed, then disables the test webhook. Exits 0 on success, 1 otherwise.
// Env: FLOWGATE_URL (in-cluster ingress base URL), FLOWGATE_MANAGEMENT_URL (the management API's, when on a
// port of its own; default FLOWGATE_URL), FLOWGATE_API_KEY, FLOWGATE_TEST_TIMEOUT_S.
const base = (process.env.FLOWGATE_URL ?? '').replace(/\/+$/, '');
const api = (process.env.FLOWGATE_MANAGEMENT_URL || base).replace(/\/+$/, '');
const key = process.env.FLOWGATE_API_KEY ?? '';
const timeoutMs = Number(process.env.FLOWGATE_TEST_TIMEOUT_S ?? '60') * 1000;
const started = Date.now();
const log = (msg) => console.log(`[helm test +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(method, url, body, auth = true) {
  const headers = { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${key}` } : {}) };
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

async function main() {
  if (!base || !key) throw new Error('FLOWGATE_URL and FLOWGATE_API_KEY are required');
  const nonce = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  // Ingress may still be rolling out when the test starts.
  for (;;) {
    const ready = await fetch(`${base}/openapi.json`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() - started > timeoutMs) throw new Error(`ingress at ${base} did not answer`);
    await sleep(1000);
  }
  const workflow = expect(
    await call('POST', `${api}/v1/workflows?publish=true`, {
      name: `helm-test-${nonce}`,
      steps: [{ id: 'echo', type: 'transform', expression: '{"nonce": trigger.body.nonce, "ok": true}' }],
    }),
    201,
    'create and publish the test workflow',
  );
  log(`workflow ${workflow.id} published`);
  try {
    // The webhook URL is built from ingress.publicUrl, which may not resolve in the cluster: keep its
    // path, call the in-cluster Service.
    const hook = new URL(workflow.triggers.production.async);
    const accepted = expect(await call('POST', `${base}${hook.pathname}`, { nonce }, false), 202, 'fire the webhook');
    log(`webhook accepted: execution ${accepted.execution_id}`);
    for (;;) {
      const execution = expect(await call('GET', `${api}/v1/executions/${accepted.execution_id}`), 200, 'read the execution');
      if (execution.status === 'succeeded') {
        const output = JSON.stringify(execution.final_output);
        if (!output.includes(nonce)) throw new Error(`unexpected output ${output}`);
        log(`execution succeeded: ${output}`);
        return;
      }
      if (['failed', 'cancelled', 'timed_out'].includes(execution.status))
        throw new Error(`execution ended ${execution.status}: ${JSON.stringify(execution.error)}`);
      if (Date.now() - started > timeoutMs) throw new Error(`execution still ${execution.status} after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  } finally {
    await call('PATCH', `${api}/v1/workflows/${workflow.id}/trigger`, { enabled: false }).catch(() => undefined);
  }
}

main().then(
  () => log('ok'),
  (err) => {
    console.error(`[helm test] FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
