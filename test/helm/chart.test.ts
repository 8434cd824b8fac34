import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../../scripts/local-servers';

/**
 * Rendering rules of helm/flowgate, asserted on `helm template` output parsed as YAML (helm is the
 * pinned one from scripts/tools.sh). scripts/helm-check.sh validates the same output against the
 * Kubernetes schemas; these tests pin down what the schemas cannot see.
 */
const HELM = join(ROOT, '.tools', 'bin', 'helm');
const CHART = join(ROOT, 'helm', 'flowgate');
const SERVICES = ['ingress', 'execution', 'scheduler', 'callback'];
const MONITORING = ['--api-versions', 'monitoring.coreos.com/v1'];
const KEDA = ['--api-versions', 'keda.sh/v1alpha1'];

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

function helmTemplate(args: string[] = []): string {
  return execFileSync(HELM, ['template', 'fg', CHART, '--namespace', 'flowgate', ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
}

function render(args: string[] = []): K8sObject[] {
  return parseAllDocuments(helmTemplate(args))
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function renderError(args: string[]): string {
  try {
    helmTemplate(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`helm template ${args.join(' ')} rendered, expected a failure`);
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};
const deployment = (objects: K8sObject[], service: string) => named(objects, 'Deployment', `fg-flowgate-${service}`);
const container = (d: K8sObject) => d.spec.template.spec.containers[0];
/** Every pod spec: the Deployments' templates and the helm test Pod. */
const podSpecs = (objects: K8sObject[]) => [
  ...ofKind(objects, 'Deployment').map((d) => ({ name: d.metadata.name, spec: d.spec.template.spec })),
  ...ofKind(objects, 'Pod').map((p) => ({ name: p.metadata.name, spec: p.spec })),
];
/** A container's env entry as the chart renders it. */
type EnvEntry = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; [source: string]: unknown } };
const envEntries = (c: { env?: EnvEntry[] }): EnvEntry[] => c.env ?? [];
const envOf = (c: { env?: EnvEntry[] }, name: string) => envEntries(c).find((e) => e.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('helm chart', () => {
  let defaults: K8sObject[];
  let everything: K8sObject[];

  beforeAll(() => {
    if (!existsSync(HELM)) throw new Error(`${HELM} is missing: run bash scripts/tools.sh helm`);
    defaults = render();
    everything = render(['-f', join(CHART, 'ci', 'all-values.yaml'), ...MONITORING, ...KEDA]);
  });

  it('renders a Deployment, Service, ServiceAccount and PodDisruptionBudget per service, selecting its pods', () => {
    for (const service of SERVICES) {
      const d = deployment(defaults, service);
      const podLabels = d.spec.template.metadata.labels as Record<string, string>;
      expect(d.spec.template.spec.serviceAccountName).toBe(`fg-flowgate-${service}`);
      named(defaults, 'ServiceAccount', `fg-flowgate-${service}`);
      expect(matches(named(defaults, 'Service', `fg-flowgate-${service}`).spec.selector, podLabels)).toBe(true);
      const pdb = named(defaults, 'PodDisruptionBudget', `fg-flowgate-${service}`);
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
      // other services' pods are not selected
      for (const other of SERVICES.filter((s) => s !== service))
        expect(matches(pdb.spec.selector.matchLabels, deployment(defaults, other).spec.template.metadata.labels)).toBe(false);
    }
    expect(ofKind(defaults, 'PodDisruptionBudget')).toHaveLength(4);
    expect(ofKind(render(['--set', 'podDisruptionBudget.enabled=false']), 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('runs every container, the helm test one included, with the restricted security context', () => {
    for (const objects of [defaults, everything]) {
      const pods = podSpecs(objects);
      expect(pods).toHaveLength(5);
      for (const { name, spec } of pods) {
        expect([name, spec.securityContext.runAsNonRoot]).toEqual([name, true]);
        expect([name, spec.automountServiceAccountToken]).toEqual([name, false]);
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const sc = c.securityContext;
          expect([name, c.name, sc]).toEqual([
            name,
            c.name,
            expect.objectContaining({
              runAsNonRoot: true,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            }),
          ]);
          expect([name, sc.seccompProfile?.type ?? spec.securityContext.seccompProfile?.type]).toEqual([name, 'RuntimeDefault']);
        }
      }
    }
  });

  it('probes /livez and /readyz on the ops port, and the gRPC services natively on their gRPC port', () => {
    for (const service of SERVICES) {
      const c = container(deployment(defaults, service));
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
      if (service === 'execution' || service === 'scheduler') {
        const grpcPort = c.ports.find((p: { name: string }) => p.name === 'grpc').containerPort;
        expect(String(grpcPort)).toBe(envOf(c, 'FLOWGATE_GRPC_PORT')?.value);
        expect(c.livenessProbe.grpc).toEqual({ port: grpcPort });
        expect(c.startupProbe.grpc).toEqual({ port: grpcPort });
      } else {
        expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'ops' });
        expect(c.startupProbe.httpGet).toEqual({ path: '/livez', port: 'ops' });
      }
    }
    expect(container(deployment(defaults, 'execution')).ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual([
      50051, 9464,
    ]);
  });

  it('gives pods more time than the preStop sleep plus the services drain bound (FLOWGATE_SHUTDOWN_TIMEOUT_MS)', () => {
    for (const [objects, sleep, drain] of [
      [defaults, 5, 25],
      [render(['--set', 'shutdown.drainSeconds=55', '--set', 'shutdown.preStopSleepSeconds=0']), 0, 55],
    ] as const) {
      const config = named(objects, 'ConfigMap', 'fg-flowgate-config');
      expect(config.data.FLOWGATE_SHUTDOWN_TIMEOUT_MS).toBe(String(drain * 1000));
      for (const service of SERVICES) {
        const d = deployment(objects, service);
        expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(sleep + drain + 5);
        expect(d.spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: 'fg-flowgate-config' } }]);
        if (sleep > 0) expect(container(d).lifecycle.preStop.sleep.seconds).toBe(sleep);
        else expect(container(d).lifecycle).toBeUndefined();
      }
    }
  });

  it('spreads each service over zones (ScheduleAnyway) and keeps its replicas off each other\'s nodes (preferred anti-affinity)', () => {
    for (const service of SERVICES) {
      const spec = deployment(defaults, service).spec.template.spec;
      const podLabels = deployment(defaults, service).spec.template.metadata.labels as Record<string, string>;
      expect(spec.topologySpreadConstraints.map((t: { topologyKey: string; whenUnsatisfiable: string }) => [t.topologyKey, t.whenUnsatisfiable])).toEqual([
        ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ]);
      for (const t of spec.topologySpreadConstraints) expect(matches(t.labelSelector.matchLabels, podLabels)).toBe(true);
      expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
      const [term, ...more] = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      expect(more).toEqual([]);
      expect(term.weight).toBe(100);
      expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      // its own replicas only, not the other services' pods
      expect(matches(term.podAffinityTerm.labelSelector.matchLabels, podLabels)).toBe(true);
      for (const other of SERVICES.filter((s) => s !== service))
        expect(matches(term.podAffinityTerm.labelSelector.matchLabels, deployment(defaults, other).spec.template.metadata.labels)).toBe(false);
    }
  });

  it('makes the anti-affinity required, drops it, or replaces it with a service\'s own affinity', () => {
    const hard = render(['--set', 'podAntiAffinity.type=hard', '--set', 'podAntiAffinity.topologyKey=topology.kubernetes.io/zone']);
    for (const service of SERVICES) {
      const anti = deployment(hard, service).spec.template.spec.affinity.podAntiAffinity;
      expect(anti.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
      expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: deployment(hard, service).spec.selector.matchLabels } },
      ]);
    }
    const none = render(['--set', 'podAntiAffinity.type=none', '--set-json', 'topologySpread.topologyKeys=[]']);
    for (const service of SERVICES) {
      expect(deployment(none, service).spec.template.spec.affinity).toBeUndefined();
      expect(deployment(none, service).spec.template.spec.topologySpreadConstraints).toBeUndefined();
    }
    const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['workers'] }] }] } } };
    const replaced = render(['--set-json', `execution.affinity=${JSON.stringify(own)}`]);
    expect(deployment(replaced, 'execution').spec.template.spec.affinity).toEqual(own);
    expect(deployment(replaced, 'ingress').spec.template.spec.affinity.podAntiAffinity).toBeDefined();
    expect(renderError(['--set', 'podAntiAffinity.type=sometimes'])).toMatch(/podAntiAffinity\/type/);
  });

  it('gives every stream and KV bucket 3 replicas on a NATS cluster (ci/nats-cluster-values.yaml), 1 otherwise', () => {
    const config = (objects: K8sObject[]) => named(objects, 'ConfigMap', 'fg-flowgate-config').data as Record<string, string>;
    expect(config(defaults)).toMatchObject({ FLOWGATE_NATS_REPLICAS: '1', FLOWGATE_NATS_STORAGE: 'file' });
    const cluster = render(['-f', join(CHART, 'ci', 'nats-cluster-values.yaml')]);
    expect(config(cluster)).toMatchObject({ FLOWGATE_NATS_REPLICAS: '3', FLOWGATE_NATS_STORAGE: 'file' });
    expect(String(config(cluster).NATS_URL).split(',')).toHaveLength(3);
    // every service reads it from the ConfigMap, none overrides it
    for (const service of SERVICES) {
      const c = container(deployment(cluster, service));
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'fg-flowgate-config' } }]);
      expect(envOf(c, 'FLOWGATE_NATS_REPLICAS')).toBeUndefined();
    }
    // the replica count only applies with cluster.enabled; storage follows nats.storage
    expect(config(render(['--set', 'nats.cluster.replicas=5']))).toMatchObject({ FLOWGATE_NATS_REPLICAS: '1' });
    expect(config(render(['--set', 'nats.cluster.enabled=true', '--set', 'nats.cluster.replicas=5', '--set', 'nats.storage=memory']))).toMatchObject({
      FLOWGATE_NATS_REPLICAS: '5',
      FLOWGATE_NATS_STORAGE: 'memory',
    });
    expect(renderError(['--set', 'nats.cluster.enabled=true', '--set', 'nats.cluster.replicas=7'])).toMatch(/\/nats\/cluster\/replicas/);
    expect(renderError(['--set', 'nats.storage=disk'])).toMatch(/\/nats\/storage/);
    // a configuration change: the pods roll
    expect(deployment(cluster, 'execution').spec.template.metadata.annotations['checksum/config']).not.toBe(
      deployment(defaults, 'execution').spec.template.metadata.annotations['checksum/config'],
    );
  });

  it('rolls pods when the configuration or the chart-managed secrets change, not otherwise', () => {
    const annotations = (objects: K8sObject[]) => deployment(objects, 'execution').spec.template.metadata.annotations as Record<string, string>;
    const base = annotations(defaults);
    expect(base['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(base['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
    // the generated secrets are random per render, the checksum is not
    expect(annotations(render())).toEqual(base);
    const logLevel = annotations(render(['--set', 'config.logLevel=debug']));
    expect(logLevel['checksum/config']).not.toBe(base['checksum/config']);
    expect(logLevel['checksum/secret']).toBe(base['checksum/secret']);
    const mongo = annotations(render(['--set', 'mongodb.uri=mongodb://other:27017/flowgate']));
    expect(mongo['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(mongo['checksum/config']).toBe(base['checksum/config']);
  });

  it('generates the Secret, or reads every secret from existingSecret and creates none', () => {
    const secret = named(defaults, 'Secret', 'fg-flowgate-secrets');
    expect(secret.metadata).toMatchObject({ annotations: { 'helm.sh/resource-policy': 'keep' } });
    expect(secret.stringData['encryption-key']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(secret.stringData['callback-signing-secret']).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    expect(secret.stringData['bootstrap-api-key']).toMatch(/^fgk_[A-Za-z0-9]{40}$/);

    const external = render(['-f', join(CHART, 'ci', 'existing-secret-values.yaml')]);
    expect(ofKind(external, 'Secret')).toHaveLength(0);
    const refs = podSpecs(external).flatMap(({ spec }) =>
      spec.containers.flatMap((c: { env?: EnvEntry[] }) => envEntries(c).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []))),
    );
    expect(refs.length).toBeGreaterThanOrEqual(8);
    for (const ref of refs) expect(ref.name).toBe('flowgate-credentials');
    expect(new Set(refs.map((r) => r.key))).toEqual(new Set(['mongodb-uri', 'bootstrap-api-key', 'encryption-key', 'callback-signing-secret']));
  });

  it('serves the management API on a port and Service of its own only when ingress.management.enabled', () => {
    const ingress = container(deployment(defaults, 'ingress'));
    expect(envOf(ingress, 'FLOWGATE_MANAGEMENT_PORT')).toBeUndefined();
    expect(ofKind(defaults, 'Service').map((s) => s.metadata.name)).not.toContain('fg-flowgate-ingress-management');

    const split = container(deployment(everything, 'ingress'));
    expect(envOf(split, 'FLOWGATE_MANAGEMENT_PORT')?.value).toBe('8081');
    expect(split.ports).toContainEqual({ name: 'management', containerPort: 8081, protocol: 'TCP' });
    const service = named(everything, 'Service', 'fg-flowgate-ingress-management');
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'management', port: 80, targetPort: 'management' }] });
    expect(matches(service.spec.selector, deployment(everything, 'ingress').spec.template.metadata.labels)).toBe(true);
    // The public Service keeps only the HTTP (webhook edge) and ops ports.
    expect(named(everything, 'Service', 'fg-flowgate-ingress').spec.ports.map((p: { name: string }) => p.name)).toEqual(['http', 'ops']);
    // Only the peers of networkPolicy.managementFrom (and the helm test pod) reach it; helm test calls /v1 there.
    const policy = named(everything, 'NetworkPolicy', 'fg-flowgate-ingress');
    const rule = policy.spec.ingress.find((r: any) => r.ports[0].port === 8081);
    expect(rule.from[0]).toEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'platform' } } });
    const testPod = ofKind(everything, 'Pod')[0];
    expect(envOf(testPod?.spec.containers[0], 'FLOWGATE_MANAGEMENT_URL')?.value).toBe('http://fg-flowgate-ingress-management.flowgate.svc:80');
  });

  it('denies all traffic of the release by default and allows only the documented flows', () => {
    const policies = ofKind(defaults, 'NetworkPolicy');
    const deny = named(defaults, 'NetworkPolicy', 'fg-flowgate-default-deny');
    expect(deny.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flowgate', 'app.kubernetes.io/instance': 'fg' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    // it selects every pod of the release, the helm test Pod too
    const podLabels = [
      ...ofKind(defaults, 'Deployment').map((d) => d.spec.template.metadata.labels),
      ...ofKind(defaults, 'Pod').map((p) => p.metadata.labels ?? {}),
    ];
    expect(podLabels).toHaveLength(5);
    for (const labels of podLabels) expect(matches(deny.spec.podSelector.matchLabels, labels)).toBe(true);
    const policy = (service: string) => named(policies, 'NetworkPolicy', `fg-flowgate-${service}`).spec;
    const ports = (rules: any[]) => rules.flatMap((r) => (r.ports ?? []).map((p: { port: number }) => p.port));
    // ingress: world -> 8080 (no from), metrics; execution: only ingress pods on gRPC
    const ingressRule = policy('ingress').ingress.find((r: any) => r.ports[0].port === 8080);
    expect(ingressRule.from).toBeUndefined();
    const grpcRule = policy('execution').ingress.find((r: any) => r.ports[0].port === 50051);
    expect(grpcRule.from).toEqual([{ podSelector: { matchLabels: deployment(defaults, 'ingress').spec.selector.matchLabels } }]);
    // scheduler: ops, and its gRPC (UpsertSchedule / DeleteSchedule) only from ingress pods
    expect(ports(policy('scheduler').ingress)).toEqual([9464, 50052]);
    const schedulerGrpc = policy('scheduler').ingress.find((r: any) => r.ports[0].port === 50052);
    expect(schedulerGrpc.from).toEqual(grpcRule.from);
    expect(ports(policy('callback').ingress)).toEqual([9464]);
    // egress: DNS, NATS, MongoDB for all; ingress -> execution and scheduler gRPC; execution and callback -> the internet
    for (const service of SERVICES) expect(ports(policy(service).egress)).toEqual(expect.arrayContaining([53, 4222, 27017]));
    expect(ports(policy('ingress').egress)).toEqual(expect.arrayContaining([50051, 50052]));
    for (const service of ['execution', 'callback']) {
      const external = policy(service).egress.find((r: any) => r.to?.some((t: any) => t.ipBlock?.cidr === '0.0.0.0/0'));
      expect(external.to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16']));
    }
    for (const service of ['ingress', 'scheduler'])
      expect(policy(service).egress.some((r: any) => r.to?.some((t: any) => t.ipBlock))).toBe(false);

    expect(ofKind(render(['--set', 'networkPolicy.enabled=false']), 'NetworkPolicy')).toHaveLength(0);
  });

  it('skips the CRD objects where their APIs are absent and renders them where present', () => {
    const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind);
    expect(kinds(defaults)).not.toContain('ServiceMonitor');
    expect(kinds(defaults)).not.toContain('PrometheusRule');
    expect(kinds(render(['--set', 'execution.keda.enabled=true']))).not.toContain('ScaledObject');
    // without KEDA's API, the Deployment keeps its replicas
    expect(deployment(render(['--set', 'execution.keda.enabled=true']), 'execution').spec.replicas).toBe(2);

    const monitored = render(MONITORING);
    expect(ofKind(monitored, 'ServiceMonitor')).toHaveLength(1);
    expect(ofKind(monitored, 'PrometheusRule')).toHaveLength(1);
    // also with the API given as group/version/kind, as a cluster lists it
    expect(kinds(render(['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor']))).toContain('ServiceMonitor');
    // enabled = false wins over a present API
    const off = render([...MONITORING, '--set', 'metrics.serviceMonitor.enabled=false', '--set', 'metrics.prometheusRule.enabled=false']);
    expect(kinds(off)).not.toContain('ServiceMonitor');
    expect(kinds(off)).not.toContain('PrometheusRule');
    expect(kinds(render([...KEDA, '--set', 'execution.keda.enabled=true']))).toContain('ScaledObject');
  });

  it('scrapes every service ops port and keeps the services own "service" label', () => {
    const sm = named(render(MONITORING), 'ServiceMonitor', 'fg-flowgate').spec;
    expect(sm.endpoints).toEqual([expect.objectContaining({ port: 'ops', path: '/metrics', honorLabels: true })]);
    for (const service of SERVICES) {
      const svc = named(defaults, 'Service', `fg-flowgate-${service}`);
      expect(matches(sm.selector.matchLabels, svc.metadata.labels ?? {})).toBe(true);
      expect(sm.selector.matchExpressions[0].values).toContain(svc.metadata.labels?.['app.kubernetes.io/component']);
      expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain('ops');
    }
  });

  it('ships the alert rule file unchanged as the PrometheusRule spec', () => {
    const rule = named(render(MONITORING), 'PrometheusRule', 'fg-flowgate');
    expect(rule.spec).toEqual(parse(readFileSync(join(CHART, 'rules', 'flowgate-alerts.yaml'), 'utf8')));
    expect(rule.spec.groups.flatMap((g: { rules: unknown[] }) => g.rules).length).toBeGreaterThanOrEqual(10);
  });

  it('ships every dashboard as a ConfigMap for the Grafana sidecar', () => {
    const files = readdirSync(join(CHART, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(['callback.json', 'execution.json', 'ingress.json', 'overview.json', 'runtime.json', 'scheduler.json', 'workspaces.json']);
    for (const objects of [defaults, everything]) {
      const maps = ofKind(objects, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
      expect(maps).toHaveLength(files.length);
      for (const file of files) {
        const map = named(maps, 'ConfigMap', `fg-flowgate-dashboard-${file.replace('.json', '')}`);
        expect(JSON.parse(map.data[`flowgate-${file}`])).toEqual(JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')));
      }
    }
    const inGrafanaNamespace = ofKind(everything, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    for (const map of inGrafanaNamespace) expect(map.metadata).toMatchObject({ namespace: 'monitoring', annotations: { grafana_folder: 'Flowgate' } });
    expect(ofKind(render(['--set', 'metrics.dashboards.enabled=false']), 'ConfigMap')).toHaveLength(1);
  });

  it('scales ingress with an HPA and execution with KEDA on its consumer lag, leaving replicas to them', () => {
    const hpa = named(everything, 'HorizontalPodAutoscaler', 'fg-flowgate-ingress');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'fg-flowgate-ingress' }, minReplicas: 3, maxReplicas: 20 });
    expect(hpa.spec.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } });
    expect(deployment(everything, 'ingress').spec.replicas).toBeUndefined();

    const so = named(everything, 'ScaledObject', 'fg-flowgate-execution');
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'fg-flowgate-execution' });
    expect(so.spec.triggers).toEqual([
      {
        type: 'nats-jetstream',
        metadata: {
          natsServerMonitoringEndpoint: 'nats-headless:8222',
          account: '$G',
          stream: 'FLOWGATE_COMMANDS',
          consumer: 'execution',
          lagThreshold: '20',
          activationLagThreshold: '1',
          useHttps: 'false',
        },
      },
    ]);
    expect(deployment(everything, 'execution').spec.replicas).toBeUndefined();
    expect(deployment(everything, 'scheduler').spec.replicas).toBe(3);
    // the stream follows the subject prefix, as the services name it
    const prefixed = named(render([...KEDA, '--set', 'execution.keda.enabled=true', '--set', 'config.natsPrefix=acme-prod']), 'ScaledObject', 'fg-flowgate-execution');
    expect(prefixed.spec.triggers[0].metadata.stream).toBe('ACME_PROD_COMMANDS');

    expect(renderError(['--set', 'ingress.autoscaling.enabled=true', '--set', 'ingress.resources.requests=null'])).toContain('needs ingress.resources.requests.cpu');
  });

  it('runs a helm test Pod that fires a webhook at the in-cluster ingress with the bootstrap key', () => {
    const pod = named(defaults, 'Pod', 'fg-flowgate-test');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    const c = pod.spec.containers[0];
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(c.image).toBe(container(deployment(defaults, 'ingress')).image);
    expect(c.args.slice(0, 2)).toEqual(['--input-type=module', '-e']);
    expect(c.args[2]).toBe(readFileSync(join(CHART, 'files', 'helm-test.mjs'), 'utf8'));
    expect(envOf(c, 'FLOWGATE_URL')?.value).toBe('http://fg-flowgate-ingress.flowgate.svc:80');
    expect(envOf(c, 'FLOWGATE_API_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'fg-flowgate-secrets', key: 'bootstrap-api-key' });
    expect(ofKind(render(['--set', 'helmTest.enabled=false']), 'Pod')).toHaveLength(0);
  });

  it('fails on a misspelt or mistyped value instead of ignoring it', () => {
    expect(renderError(['--set', 'ingress.replicaz=2'])).toContain("additional properties 'replicaz' not allowed");
    expect(renderError(['--set', 'metrics.serviceMonitor.enabeld=true'])).toContain("additional properties 'enabeld' not allowed");
    expect(renderError(['--set', 'execution.keda.lagTreshold=5'])).toContain("additional properties 'lagTreshold' not allowed");
    expect(renderError(['--set-string', 'shutdown.drainSeconds=soon'])).toMatch(/drainSeconds.*(integer|number)/s);
    expect(renderError(['--set', 'networkPolicy.nats.ports[0]=70000'])).toMatch(/ports/);
    expect(renderError(['--set', 'nats.url=http://nats:4222'])).toMatch(/url/);
  });
});
