import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProcessGroup, findFreePorts, pollUntil } from '../process';
import { DockerStage, instructionsOf, parseDockerfile } from './dockerfile';
import { REPO_ROOT, ensureBuilt } from './productionTree';

/*
 * No image can be built here (no container engine, no registry), so these checks read the
 * Dockerfiles: the properties every image must have, the build output each copies (which
 * `npm run build` must produce), and, for the sidecar, whose final stage holds only files
 * copied from the build, that exactly those files run.
 */

const IMAGES = ['backend', 'sidecar'] as const;

function stages(image: string): DockerStage[] {
  return parseDockerfile(
    readFileSync(
      join(REPO_ROOT, 'deploy/docker', `${image}.Dockerfile`),
      'utf8',
    ),
  );
}

/** `COPY --from=build SRC DEST` of the final stage, as [repository path, image path]. */
function copiesFromBuild(image: string): Array<[string, string]> {
  const final = stages(image).at(-1)!;
  return instructionsOf(final, 'COPY')
    .filter(args => args.startsWith('--from=build '))
    .map(args => {
      const [source, destination] = args
        .replace('--from=build ', '')
        .split(' ');
      expect(source.startsWith('/src/')).toBe(true);
      return [source.replace('/src/', ''), destination];
    });
}

describe('deploy/docker', () => {
  beforeAll(() => ensureBuilt(), 20 * 60_000);

  it.each(IMAGES)(
    '%s: built by npm run build in a build stage, on the Node.js CI runs',
    image => {
      const all = stages(image);
      const build = all.find(stage => stage.name === 'build')!;
      expect(instructionsOf(build, 'RUN')).toEqual(
        expect.arrayContaining([
          'npm ci --no-audit --no-fund',
          'npm run build',
        ]),
      );
      const nodeMajor = process.versions.node.split('.')[0];
      for (const stage of all) {
        expect(stage.image).toBe(`node:${nodeMajor}-bookworm-slim`);
      }
    },
  );

  it.each(IMAGES)(
    '%s: runs as its own non-root user, with a health check',
    image => {
      const final = stages(image).at(-1)!;
      // Numeric, so Kubernetes' runAsNonRoot can check it; created by the stage itself.
      const users = instructionsOf(final, 'USER');
      expect(users).toHaveLength(1);
      const [uid, gid] = users[0].split(':');
      expect(uid).toMatch(/^[1-9]\d+$/);
      const setup = instructionsOf(final, 'RUN').join('\n');
      expect(setup).toContain(`useradd --system --uid ${uid} `);
      expect(setup).toContain(`groupadd --system --gid ${gid} `);
      const [healthcheck] = instructionsOf(final, 'HEALTHCHECK');
      expect(healthcheck).toMatch(/ CMD \[/);
      const [cmd] = instructionsOf(final, 'CMD');
      expect(JSON.parse(cmd)[0]).toBe('node');
      expect(instructionsOf(final, 'ENV').join(' ')).toContain(
        'NODE_ENV=production',
      );
      expect(instructionsOf(final, 'ENV').join(' ')).not.toMatch(
        /TOKEN|PASSWORD|SECRET/,
      );
    },
  );

  it.each(IMAGES)('%s: copies only what npm run build produces', image => {
    const copies = copiesFromBuild(image);
    expect(copies.length).toBeGreaterThan(0);
    for (const [source] of copies) {
      expect({ source, exists: existsSync(join(REPO_ROOT, source)) }).toEqual({
        source,
        exists: true,
      });
    }
    const ignore = readFileSync(
      join(REPO_ROOT, 'deploy/docker', `${image}.Dockerfile.dockerignore`),
      'utf8',
    );
    expect(ignore.split('\n')).toEqual(
      expect.arrayContaining(['**/node_modules', '**/dist']),
    );
  });

  it('backend: probes the readiness the production test waits for, and starts the build', () => {
    const final = stages('backend').at(-1)!;
    expect(instructionsOf(final, 'HEALTHCHECK')[0]).toContain(
      'http://127.0.0.1:7007/.backstage/health/v1/readiness',
    );
    expect(instructionsOf(final, 'EXPOSE')).toEqual(['7007', '9464']);
    const command: string[] = JSON.parse(instructionsOf(final, 'CMD')[0]);
    expect(command).toEqual([
      'node',
      '--require',
      './packages/backend/dist/instrumentation.js',
      'packages/backend/dist/index.js',
      '--config',
      'app-config.production.yaml',
    ]);
    expect(copiesFromBuild('backend').map(([source]) => source)).toEqual([
      'packages/backend/dist',
      'packages/app/dist',
    ]);
  });

  it('sidecar: the files its final stage copies start the compiled sidecar', async () => {
    const root = mkdtempSync(join(tmpdir(), 'brom-sidecar-image-'));
    let group: ProcessGroup | undefined;
    try {
      for (const [source, destination] of copiesFromBuild('sidecar')) {
        expect(destination.startsWith('/app/')).toBe(true);
        const target = join(root, destination.replace('/app/', ''));
        mkdirSync(dirname(target), { recursive: true });
        cpSync(join(REPO_ROOT, source), target, {
          recursive: true,
          dereference: true,
        });
      }
      const final = stages('sidecar').at(-1)!;
      const command: string[] = JSON.parse(instructionsOf(final, 'CMD')[0]);
      const [closedPort, adminPort] = await findFreePorts(2);
      group = await ProcessGroup.spawn(process.execPath, command.slice(1), {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          BROM_SIDECAR_PORTAL_URL: `http://127.0.0.1:${closedPort}`,
          BROM_SIDECAR_TOKEN: 'image-test-token',
          BROM_SIDECAR_AUTH_PORT: '0',
          BROM_SIDECAR_ADMIN_PORT: String(adminPort),
          BROM_SIDECAR_SNAPSHOT_PATH: join(
            root,
            'state',
            'authz-snapshot.json',
          ),
          BROM_SIDECAR_DRAIN_SECONDS: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      group.stdout!.on('data', chunk => (output += chunk));
      group.stderr!.on('data', chunk => (output += chunk));
      const started = await pollUntil(
        async () => {
          if (group!.exitStatus) {
            throw new Error(`The sidecar exited:\n${output}`);
          }
          return output
            .split('\n')
            .find(line => line.includes('"Sidecar started"'));
        },
        { timeoutMs: 30_000, describe: () => output },
      );
      expect(JSON.parse(started).build).toBe('compiled');
      const livez = await fetch(`http://127.0.0.1:${adminPort}/livez`);
      expect(livez.status).toBe(200);
    } finally {
      await group?.terminate('SIGTERM', 10_000);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
