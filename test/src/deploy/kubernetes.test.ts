import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './productionTree';
import {
  BROM_PLUGINS,
  authSettings,
  readmeAuthSettings,
} from './rabbitmqConfig';

/*
 * deploy/kubernetes checked offline: every document against its schema (validateManifests.mjs),
 * then what BROM needs of them: the backend's environment covers app-config.production.yaml,
 * the broker asks the sidecar in its own pod as sidecar/README.md describes.
 */

const MANIFESTS = ['backend.yaml', 'rabbitmq.yaml'].map(file =>
  join(REPO_ROOT, 'deploy/kubernetes', file),
);

interface Validation {
  file: string;
  kind: string;
  name: string;
  errors: string | null;
}

function validate(files: string[]): Validation[] {
  const result = spawnSync(
    process.execPath,
    [join(__dirname, 'validateManifests.mjs'), ...files],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(`validateManifests.mjs failed:\n${result.stderr}`);
  }
  return result.stdout
    .trim()
    .split('\n')
    .map(line => JSON.parse(line));
}

// Manifests are untyped YAML; the assertions below say what each must hold.
type Manifest = any;

function documents(): Manifest[] {
  return MANIFESTS.flatMap(file =>
    parseAllDocuments(readFileSync(file, 'utf8')).map(document =>
      document.toJS(),
    ),
  );
}

function find(kind: string, name: string): Manifest {
  const found = documents().find(
    d => d.kind === kind && d.metadata.name === name,
  );
  if (!found) {
    throw new Error(`No ${kind} ${name} in deploy/kubernetes`);
  }
  return found;
}

describe('deploy/kubernetes', () => {
  it('holds only documents valid against their schemas', () => {
    const results = validate(MANIFESTS);
    expect(results.map(r => `${r.kind}/${r.name}`)).toEqual([
      'ConfigMap/brom-backend',
      'Secret/brom-backend',
      'Deployment/brom-backend',
      'PodDisruptionBudget/brom-backend',
      'Service/brom-backend',
      'Secret/brom-sidecar-token',
      'RabbitmqCluster/brom-rabbitmq',
    ]);
    expect(results.filter(r => r.errors !== null)).toEqual([]);
  });

  it('rejects what the schemas forbid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brom-manifests-'));
    try {
      const cluster = find('RabbitmqCluster', 'brom-rabbitmq');
      const broken: Array<[string, Manifest]> = [
        [
          'replicas as text',
          { ...find('Deployment', 'brom-backend'), spec: { replicas: 'two' } },
        ],
        [
          'a misspelt field',
          { ...cluster, spec: { ...cluster.spec, replica: 3 } },
        ],
        [
          'configuration as a list',
          {
            ...cluster,
            spec: {
              ...cluster.spec,
              rabbitmq: { additionalConfig: ['x = 1'] },
            },
          },
        ],
        [
          'a sidecar port as text',
          {
            ...cluster,
            spec: {
              override: {
                statefulSet: {
                  spec: {
                    template: {
                      spec: {
                        containers: [
                          { name: 'x', ports: [{ containerPort: 'admin' }] },
                        ],
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      ];
      const files = broken.map(([label, manifest], index) => {
        const file = join(dir, `${index}.yaml`);
        writeFileSync(file, JSON.stringify(manifest));
        return { label, file };
      });
      const results = validate(files.map(f => f.file));
      expect(
        results.map((r, index) => ({
          label: files[index].label,
          valid: !r.errors,
        })),
      ).toEqual(files.map(({ label }) => ({ label, valid: false })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs two backend replicas with probes, a disruption budget and a Service', () => {
    const deployment = find('Deployment', 'brom-backend');
    expect(deployment.spec.replicas).toBe(2);
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.readinessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/readiness',
    );
    expect(container.livenessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/liveness',
    );
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 7007 },
      // OpenTelemetry's Prometheus exporter (packages/backend/src/instrumentation.js).
      { name: 'metrics', containerPort: 9464 },
    ]);
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(
      true,
    );

    const budget = find('PodDisruptionBudget', 'brom-backend');
    expect(budget.spec.selector.matchLabels).toEqual(labels);
    expect(budget.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(find('Service', 'brom-backend').spec.selector).toEqual(labels);
  });

  it('gives the backend every variable app-config.production.yaml reads, secrets from the Secret', () => {
    const production = readFileSync(
      join(REPO_ROOT, 'app-config.production.yaml'),
      'utf8',
    );
    const read = new Set(
      [...production.matchAll(/\$\{([A-Z0-9_]+)(:-[^}]*)?\}/g)].map(m => m[1]),
    );
    const withDefault = new Set(
      [...production.matchAll(/\$\{([A-Z0-9_]+):-[^}]*\}/g)].map(m => m[1]),
    );
    const container = find('Deployment', 'brom-backend').spec.template.spec
      .containers[0];
    expect(container.envFrom).toEqual([
      { configMapRef: { name: 'brom-backend' } },
      { secretRef: { name: 'brom-backend' } },
    ]);
    const configMap = Object.keys(find('ConfigMap', 'brom-backend').data);
    const secret = Object.keys(find('Secret', 'brom-backend').stringData);
    const given = new Set([...configMap, ...secret]);
    expect(
      [...read].filter(name => !given.has(name) && !withDefault.has(name)),
    ).toEqual([]);
    expect(secret.sort()).toEqual(
      [...read]
        .filter(name => /PASSWORD|SECRET|TOKEN|_USER$/.test(name))
        .sort(),
    );
    expect(
      configMap.filter(name => /PASSWORD|SECRET|TOKEN/.test(name)),
    ).toEqual([]);
  });

  it('runs three RabbitMQ nodes, each asking the sidecar in its pod as sidecar/README.md says', () => {
    const cluster = find('RabbitmqCluster', 'brom-rabbitmq');
    expect(cluster.spec.replicas).toBe(3);
    // The HTTP auth backend and the shovels of external producers (rabbitmqConfig.test.ts).
    expect(cluster.spec.rabbitmq.additionalPlugins).toEqual([...BROM_PLUGINS]);
    expect(authSettings(cluster.spec.rabbitmq.additionalConfig)).toEqual(
      readmeAuthSettings(),
    );

    const pod = cluster.spec.override.statefulSet.spec.template.spec;
    const sidecar = pod.containers.find(
      (c: Manifest) => c.name === 'brom-sidecar',
    );
    const env = Object.fromEntries(
      sidecar.env.map((e: Manifest) => [e.name, e.value ?? e.valueFrom]),
    );
    expect(env.BROM_SIDECAR_AUTH_HOST).toBe('127.0.0.1');
    expect(env.BROM_SIDECAR_PORTAL_URL).toBe(
      `http://${find('Service', 'brom-backend').metadata.name}`,
    );
    expect(sidecar.readinessProbe.httpGet).toEqual({
      path: '/readyz',
      port: 'sidecar-admin',
    });
    expect(sidecar.livenessProbe.httpGet).toEqual({
      path: '/livez',
      port: 'sidecar-admin',
    });

    const tokenMount = sidecar.volumeMounts.find((m: Manifest) =>
      env.BROM_SIDECAR_TOKEN_FILE.startsWith(`${m.mountPath}/`),
    );
    const tokenVolume = pod.volumes.find(
      (v: Manifest) => v.name === tokenMount.name,
    );
    const tokenSecret = find('Secret', tokenVolume.secret.secretName);
    expect(Object.keys(tokenSecret.stringData)).toEqual([
      env.BROM_SIDECAR_TOKEN_FILE.slice(tokenMount.mountPath.length + 1),
    ]);
    const stateMount = sidecar.volumeMounts.find((m: Manifest) =>
      env.BROM_SIDECAR_SNAPSHOT_PATH.startsWith(`${m.mountPath}/`),
    );
    expect(stateMount).toBeDefined();
  });
});
