// Static checks of what a relay operator deploys (deploy/compose, deploy/k8s,
// deploy/systemd and the NATS, Redis and tor configuration they use). No container engine,
// cluster or systemd is needed: every file is parsed, and every image, variable, port,
// replica count and persistence setting is checked against what the services read.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { SERVICES, type ServiceName } from '@komrade/protocol';
import { KNOWN_VARIABLES } from '@komrade/service-runtime';
import { operatorConfig } from '@komrade/operator';
import { sorterConfig } from '@komrade/sorter';
import { vouchConfig } from '@komrade/vouch';
import { purgeConfig } from '@komrade/purge';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const VERSION = str(obj(JSON.parse(read('package.json')), 'package.json').version, 'version');

type Env = Record<string, string>;

// --- typed access to parsed documents ---------------------------------------------------

function obj(v: unknown, what: string): Record<string, unknown> {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what}: not a mapping`);
  return v as Record<string, unknown>;
}
function arr(v: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(v), `${what}: not a list`);
  return v as unknown[];
}
function str(v: unknown, what: string): string {
  assert.equal(typeof v, 'string', `${what}: not a string`);
  return v as string;
}
function optObj(v: unknown, what: string): Record<string, unknown> {
  return v === undefined || v === null ? {} : obj(v, what);
}
function optArr(v: unknown, what: string): unknown[] {
  return v === undefined || v === null ? [] : arr(v, what);
}
/** A scalar from YAML as the string a process would see in its environment. */
function envValue(v: unknown, what: string): string {
  assert.ok(['string', 'number', 'boolean'].includes(typeof v), `${what}: not a scalar`);
  return String(v);
}

// --- parsers ------------------------------------------------------------------------------

/** Every document of a YAML file, with merge keys (<<) resolved; parse errors fail. */
function loadYaml(path: string): unknown[] {
  const docs = parseAllDocuments(read(path), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((d, i) => {
    assert.deepEqual(
      d.errors.map((e) => e.message),
      [],
      `${path} document ${i + 1} parses`,
    );
    assert.deepEqual(
      d.warnings.map((e) => e.message),
      [],
      `${path} document ${i + 1}: no warnings`,
    );
    const js: unknown = d.toJS();
    return js;
  });
}

/** KEY=VALUE lines (compose env_file and systemd EnvironmentFile); # comments. */
function parseEnvFile(path: string): Env {
  const env: Env = {};
  for (const [n, raw] of read(path).split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `${path}:${n + 1}: not KEY=VALUE`);
    const key = line.slice(0, eq);
    assert.ok(!(key in env), `${path}: ${key} set twice`);
    env[key] = line.slice(eq + 1);
  }
  return env;
}

type Unit = Map<string, [string, string][]>;

/** A systemd unit as sections of (key, value) pairs, in order; keys may repeat. */
function parseUnit(path: string): Unit {
  const unit: Unit = new Map();
  let section: [string, string][] | undefined;
  for (const [n, raw] of read(path).split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      const name = header[1] as string;
      assert.ok(!unit.has(name), `${path}: [${name}] twice`);
      section = [];
      unit.set(name, section);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    assert.ok(kv, `${path}:${n + 1}: not Key=Value: ${line}`);
    assert.ok(section, `${path}:${n + 1}: key outside a section`);
    section.push([kv[1] as string, kv[2] as string]);
  }
  return unit;
}
function unitValues(unit: Unit, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}
function unitValue(unit: Unit, section: string, key: string): string | undefined {
  return unitValues(unit, section, key).at(-1);
}

/** `Key value...` lines of a torrc or redis.conf; # comments. */
function parseDirectives(text: string): [string, string][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('%'))
    .map((l) => {
      const sp = l.search(/\s/);
      return sp < 0 ? [l, ''] : [l.slice(0, sp), l.slice(sp).trim()];
    });
}
function directive(d: [string, string][], key: string): string | undefined {
  return d.filter(([k]) => k.toLowerCase() === key.toLowerCase()).at(-1)?.[1];
}
function directives(d: [string, string][], key: string): string[] {
  return d.filter(([k]) => k.toLowerCase() === key.toLowerCase()).map(([, v]) => v);
}

/** The settings of a NATS config file that the deployments depend on. */
function parseNatsConf(path: string) {
  const text = read(path).replace(/#.*$/gm, '');
  const listen = /^listen:\s*(\S+)/m.exec(text)?.[1];
  assert.ok(listen, `${path}: listen`);
  const js = /jetstream\s*\{([^}]*)\}/.exec(text)?.[1];
  assert.ok(js, `${path}: jetstream block`);
  const cluster = /cluster\s*\{([\s\S]*?)\n\}/.exec(text)?.[1];
  return {
    clientPort: Number(listen.split(':').at(-1)),
    storeDir: /store_dir:\s*(\S+)/.exec(js)?.[1],
    maxMemoryStore: Number(/max_memory_store:\s*(\d+)/.exec(js)?.[1]),
    cluster: cluster
      ? {
          name: /name:\s*(\S+)/.exec(cluster)?.[1],
          port: Number(/listen:\s*\S+:(\d+)/.exec(cluster)?.[1]),
          routes: [...cluster.matchAll(/nats-route:\/\/([^:\s]+):(\d+)/g)].map((m) => ({
            host: m[1] as string,
            port: Number(m[2]),
          })),
        }
      : undefined,
  };
}

function files(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(join(repoRoot, d))) {
      if (name === 'node_modules' || name === 'dist') continue;
      const p = posix.join(d, name);
      if (statSync(join(repoRoot, p)).isDirectory()) walk(p);
      else if (test(name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Memory sizes of compose (768M, as docker reads it: MiB) and Kubernetes (256Mi) in bytes. */
function bytes(size: string): number {
  const m = /^(\d+)([KMG])i?$/.exec(size);
  assert.ok(m, `size ${size}`);
  return Number(m[1]) * 1024 ** { K: 1, M: 2, G: 3 }[m[2] as 'K' | 'M' | 'G'];
}

function urls(list: string | undefined): URL[] {
  assert.ok(list, 'a URL list is set');
  return list.split(',').map((u) => new URL(u.trim()));
}

// --- what the services need --------------------------------------------------------------

const CONFIG: Record<ServiceName, (env: Env) => unknown> = {
  operator: operatorConfig,
  sorter: sorterConfig,
  vouch: vouchConfig,
  purge: purgeConfig,
};

/** Variables whose default (loopback, one node) would be wrong in a deployment. */
const REQUIRED: Record<ServiceName, readonly string[]> = {
  operator: [
    'KOMRADE_NATS_URLS',
    'KOMRADE_RELAY_NAME',
    'KOMRADE_JS_REPLICAS',
    'KOMRADE_OPERATOR_HOST',
  ],
  sorter: [
    'KOMRADE_NATS_URLS',
    'KOMRADE_RELAY_NAME',
    'KOMRADE_JS_REPLICAS',
    'KOMRADE_REDIS_URL',
    'KOMRADE_REDIS_CLUSTER',
    'KOMRADE_REDIS_WAIT_REPLICAS',
  ],
  vouch: ['KOMRADE_NATS_URLS', 'KOMRADE_RELAY_NAME', 'KOMRADE_JS_REPLICAS'],
  purge: ['KOMRADE_NATS_URLS', 'KOMRADE_REDIS_URL', 'KOMRADE_REDIS_CLUSTER'],
};

/**
 * Secrets: never written in a committed file. Deployments take them from a file made on
 * the host (compose, systemd: `<file>.example` lists them empty) or a Kubernetes Secret;
 * the checks stand in a value of the right shape.
 */
const SECRETS: Record<string, string> = {
  KOMRADE_VOUCH_SECRET: '00'.repeat(32),
};

/** An env file, or, for one holding secrets, its committed `.example` with stand-ins. */
function envFileOrExample(path: string): Env {
  if (existsSync(join(repoRoot, path))) return parseEnvFile(path);
  const example = parseEnvFile(`${path}.example`);
  for (const [k, v] of Object.entries(example)) {
    const standIn = SECRETS[k];
    assert.ok(standIn !== undefined, `${path}.example: ${k} is not a secret`);
    assert.equal(v, '', `${path}.example: ${k} has no value in Git`);
    example[k] = standIn;
  }
  return example;
}

const mainOf = (s: ServiceName): string => `services/${s}/dist/src/main.js`;

/** Which service a command line runs, if any. */
function serviceOf(command: readonly string[]): ServiceName | undefined {
  const line = command.join(' ');
  return SERVICES.find((s) => line.includes(mainOf(s)));
}

/** Checks one service's environment against KNOWN_VARIABLES, REQUIRED and its own parser. */
function checkServiceEnv(where: string, service: ServiceName, env: Env): void {
  for (const k of Object.keys(env).filter((k) => k.startsWith('KOMRADE_')))
    assert.ok(KNOWN_VARIABLES.has(k), `${where}: ${k} is not in KNOWN_VARIABLES`);
  for (const k of REQUIRED[service])
    assert.ok(env[k] !== undefined && env[k] !== '', `${where}: ${service} needs ${k}`);
  if (service === 'operator' && !/^(unix:)?\//.test(env['KOMRADE_OPERATOR_HOST'] ?? ''))
    assert.ok(
      env['KOMRADE_OPERATOR_PORT'],
      `${where}: operator on TCP needs KOMRADE_OPERATOR_PORT`,
    );
  assert.doesNotThrow(() => CONFIG[service](env), `${where}: ${service} accepts its environment`);
}

/** Official images, pinned to a version (never `latest` or a bare variant). */
const OFFICIAL: Record<string, RegExp> = {
  nats: /^\d+\.\d+(\.\d+)?-alpine$/,
  redis: /^\d+(\.\d+){0,2}-alpine$/,
  node: /^\d+(\.\d+){0,2}-(bookworm-slim|bookworm|alpine)$/,
  debian: /^(bookworm|trixie)(-\d{8})?-slim$/,
};
const PROJECT_IMAGES = new Set([`komrade:${VERSION}`, `komrade-tor:${VERSION}`]);

function checkImage(where: string, image: string): void {
  if (PROJECT_IMAGES.has(image)) return;
  const m = /^([a-z0-9-]+):([A-Za-z0-9._-]+)$/.exec(image);
  assert.ok(m, `${where}: ${image} is neither the project's image nor name:tag`);
  const rule = OFFICIAL[m[1] as string];
  assert.ok(rule, `${where}: ${image} is not an allowed official image`);
  assert.match(m[2] as string, rule, `${where}: ${image} is not pinned to a version`);
}

// --- the files ----------------------------------------------------------------------------

const yamlFiles = files('deploy', (n) => /\.ya?ml$/.test(n));
const unitFiles = files('deploy/systemd', (n) => /\.(service|target)$/.test(n));

const compose = obj(loadYaml('deploy/compose/compose.yaml')[0], 'compose.yaml');
const composeServices = Object.entries(obj(compose.services, 'services')).map(
  ([name, s]) => [name, obj(s, name)] as const,
);
const composeEnvFile = parseEnvFile('deploy/compose/komrade.env');

interface K8sObject {
  readonly kind: string;
  readonly name: string;
  readonly raw: Record<string, unknown>;
  readonly file: string;
}
const kustomization = obj(loadYaml('deploy/k8s/kustomization.yaml')[0], 'kustomization');
const k8sFiles = optArr(kustomization.resources, 'resources').map((r) =>
  posix.join('deploy/k8s', str(r, 'resource')),
);
const k8s: K8sObject[] = k8sFiles.flatMap((file) =>
  loadYaml(file)
    .filter((d) => d !== null)
    .map((d) => {
      const raw = obj(d, file);
      const meta = obj(raw.metadata, `${file} metadata`);
      return { kind: str(raw.kind, 'kind'), name: str(meta.name, 'name'), raw, file };
    }),
);
const k8sGet = (kind: string, name: string): Record<string, unknown> => {
  const found = k8s.find((o) => o.kind === kind && o.name === name);
  assert.ok(found, `k8s ${kind}/${name} exists`);
  return found.raw;
};
const configMapData = (name: string): Record<string, unknown> =>
  obj(k8sGet('ConfigMap', name).data, `ConfigMap ${name} data`);
const k8sEnvConfigMap: Env = Object.fromEntries(
  Object.entries(configMapData('komrade-env')).map(([k, v]) => [k, envValue(v, k)]),
);

/** The pod template of a Deployment, StatefulSet or Job. */
function podSpec(o: Record<string, unknown>): {
  labels: Record<string, unknown>;
  spec: Record<string, unknown>;
} {
  const template = obj(obj(o.spec, 'spec').template, 'template');
  return {
    labels: optObj(obj(template.metadata, 'template metadata').labels, 'labels'),
    spec: obj(template.spec, 'pod spec'),
  };
}
function containers(pod: Record<string, unknown>): Record<string, unknown>[] {
  return [
    ...optArr(pod.initContainers, 'initContainers'),
    ...arr(pod.containers, 'containers'),
  ].map((c, i) => obj(c, `container ${i}`));
}
const workloads = k8s.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));

/** A container's environment: envFrom ConfigMaps, then env entries with a value. */
function containerEnv(c: Record<string, unknown>): Env {
  const env: Env = {};
  for (const from of optArr(c.envFrom, 'envFrom')) {
    const ref = obj(obj(from, 'envFrom').configMapRef, 'configMapRef');
    for (const [k, v] of Object.entries(configMapData(str(ref.name, 'configMapRef name'))))
      env[k] = envValue(v, k);
  }
  for (const e of optArr(c.env, 'env')) {
    const entry = obj(e, 'env');
    const name = str(entry.name, 'env name');
    if (entry.value !== undefined) env[name] = envValue(entry.value, 'env');
    else if (optObj(entry.valueFrom, 'valueFrom').secretKeyRef !== undefined) {
      const standIn = SECRETS[name];
      assert.ok(standIn !== undefined, `${name} comes from a Secret but is not a secret`);
      env[name] = standIn;
    }
  }
  return env;
}

/** The Komrade services a Deployment runs: its containers' commands. */
function deploymentService(o: K8sObject): ServiceName | undefined {
  if (o.kind !== 'Deployment') return undefined;
  for (const c of containers(podSpec(o.raw).spec)) {
    const s = serviceOf(optArr(c.command, 'command').map((x) => str(x, 'command')));
    if (s) return s;
  }
  return undefined;
}

/** komrade@<s>: /etc/komrade/komrade.env, then /etc/komrade/<s>.env if there is one. */
function systemdEnv(s: ServiceName): Env {
  const own = `deploy/systemd/${s}.env`;
  const hasOwn = existsSync(join(repoRoot, own)) || existsSync(join(repoRoot, `${own}.example`));
  return {
    ...parseEnvFile('deploy/systemd/komrade.env'),
    ...(hasOwn ? envFileOrExample(own) : {}),
  };
}

const composeCommand = (s: Record<string, unknown>): string[] =>
  optArr(s.command, 'command').map((x) => str(x, 'command'));
const composeEnvFiles = (s: Record<string, unknown>): string[] =>
  s.env_file === undefined
    ? []
    : typeof s.env_file === 'string'
      ? [s.env_file]
      : arr(s.env_file, 'env_file').map((f) => str(f, 'env_file'));
const composeEnv = (s: Record<string, unknown>): Env => ({
  ...composeEnvFiles(s).reduce<Env>(
    (env, f) => ({ ...env, ...envFileOrExample(posix.join('deploy/compose', f)) }),
    {},
  ),
  ...Object.fromEntries(
    Object.entries(optObj(s.environment, 'environment')).map(([k, v]) => [k, envValue(v, k)]),
  ),
});
const composeKomrade = composeServices.flatMap(([name, s]) => {
  const service = serviceOf(composeCommand(s));
  return service ? [{ name, service, def: s }] : [];
});
const composeReplicas = (s: Record<string, unknown>): number => {
  const r = optObj(s.deploy, 'deploy').replicas;
  return r === undefined ? 1 : Number(r);
};
const composeByImage = (prefix: string) =>
  composeServices.filter(([, s]) => typeof s.image === 'string' && s.image.startsWith(prefix));
const composeRedisNodes = composeByImage('redis:').filter(([, s]) =>
  composeCommand(s).join(' ').includes('redis-start.sh'),
);
const composeNatsNodes = composeByImage('nats:');

// --- tests --------------------------------------------------------------------------------

describe('deploy manifests: files', () => {
  test('every YAML file under deploy/ parses, with no warnings', () => {
    assert.ok(yamlFiles.length >= 10, `found ${yamlFiles.join(', ')}`);
    for (const f of yamlFiles) assert.ok(loadYaml(f).length > 0, f);
  });

  test('every systemd unit parses as Key=Value lines in [sections]', () => {
    assert.deepEqual(
      unitFiles.map((f) => posix.basename(f)),
      ['komrade-nats.service', 'komrade-redis.service', 'komrade.target', 'komrade@.service'],
    );
    for (const f of unitFiles) {
      const unit = parseUnit(f);
      assert.ok(unit.has('Unit'), `${f}: [Unit]`);
      assert.ok(unitValue(unit, 'Unit', 'Description'), `${f}: Description`);
      assert.ok(unit.has('Install'), `${f}: [Install]`);
      for (const exec of unitValues(unit, 'Service', 'ExecStart'))
        assert.match(exec, /^\//, `${f}: ExecStart is an absolute path`);
    }
  });

  test('kustomization lists every Kubernetes manifest, and each exists', () => {
    const inDir = files('deploy/k8s', (n) => n.endsWith('.yaml') && n !== 'kustomization.yaml');
    assert.deepEqual([...k8sFiles].sort(), inDir);
    for (const o of k8s) {
      const ns = obj(o.raw.metadata, 'metadata').namespace;
      if (o.kind === 'Namespace') assert.equal(o.name, 'komrade');
      else assert.equal(ns, 'komrade', `${o.kind}/${o.name} is in the komrade namespace`);
    }
    assert.equal(kustomization.namespace, 'komrade');
  });

  test('configuration embedded in Kubernetes ConfigMaps is identical to deploy/ files', () => {
    const copies: [string, string, string][] = [
      ['nats-config', 'komrade.conf', 'deploy/nats/kubernetes.conf'],
      ['redis-config', 'redis.conf', 'deploy/redis/cluster.conf'],
      ['redis-config', 'start.sh', 'deploy/redis/start.sh'],
      ['redis-config', 'meet-peers.sh', 'deploy/redis/meet-peers.sh'],
      ['redis-config', 'create-cluster.sh', 'deploy/redis/create-cluster.sh'],
      ['tor-config', 'torrc', 'deploy/tor/kubernetes.torrc'],
    ];
    for (const [cm, key, file] of copies)
      assert.equal(configMapData(cm)[key], read(file), `ConfigMap ${cm} ${key} = ${file}`);
  });

  test('files the manifests mount or build from exist', () => {
    for (const [name, s] of composeServices) {
      for (const v of optArr(s.volumes, 'volumes')) {
        const source = str(v, `${name} volume`).split(':')[0] as string;
        if (source.startsWith('.'))
          assert.ok(
            existsSync(join(repoRoot, 'deploy/compose', source)),
            `${name}: ${source} exists`,
          );
      }
      if (s.build !== undefined) {
        const b = obj(s.build, 'build');
        const context = join(repoRoot, 'deploy/compose', str(b.context, 'context'));
        assert.ok(existsSync(join(context, str(b.dockerfile, 'dockerfile'))), `${name} Dockerfile`);
      }
    }
    for (const s of SERVICES) {
      assert.ok(existsSync(join(repoRoot, `services/${s}/src/main.ts`)), `${s} has a main`);
      const pkg = obj(JSON.parse(read(`services/${s}/package.json`)), `${s} package.json`);
      assert.equal(
        obj(pkg.exports, 'exports')['./main'],
        `./${mainOf(s).slice(`services/${s}/`.length)}`,
      );
    }
  });
});

describe('deploy manifests: images', () => {
  test('every image is the project image or a pinned official image', () => {
    const seen = new Set<string>();
    for (const [name, s] of composeServices) {
      const image = str(s.image, `compose ${name} image`);
      checkImage(`compose ${name}`, image);
      seen.add(image);
    }
    for (const o of workloads)
      for (const c of containers(podSpec(o.raw).spec)) {
        const image = str(c.image, `${o.kind}/${o.name} image`);
        checkImage(`${o.kind}/${o.name}`, image);
        seen.add(image);
        assert.notEqual(c.imagePullPolicy, 'Always', `${o.name}: no pull on every start`);
      }
    for (const dockerfile of ['deploy/docker/Dockerfile', 'deploy/tor/Dockerfile']) {
      const froms = [...read(dockerfile).matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] as string);
      assert.ok(froms.length > 0, dockerfile);
      for (const f of froms) checkImage(dockerfile, f);
    }
    assert.ok(seen.has(`komrade:${VERSION}`) && seen.has(`komrade-tor:${VERSION}`));
    for (const img of seen) assert.doesNotMatch(img, /:latest$/);
  });

  test('compose and Kubernetes run the same NATS and Redis versions', () => {
    const k8sImages = new Set(
      workloads.flatMap((o) => containers(podSpec(o.raw).spec).map((c) => str(c.image, 'image'))),
    );
    for (const [name, s] of [...composeNatsNodes, ...composeRedisNodes])
      assert.ok(k8sImages.has(str(s.image, name)), `${name}: ${String(s.image)} also in k8s`);
  });

  test('the Node base image is the Node major the project supports', () => {
    const engines = obj(obj(JSON.parse(read('package.json')), 'pkg').engines, 'engines');
    const major = Number(/(\d+)/.exec(str(engines.node, 'engines.node'))?.[1]);
    for (const m of read('deploy/docker/Dockerfile').matchAll(/^FROM\s+node:(\d+)/gm))
      assert.ok(Number(m[1]) >= major, `node:${m[1] ?? ''} >= ${major}`);
  });
});

describe('deploy manifests: environment', () => {
  test('compose: every Komrade service copy has a complete, valid environment', () => {
    for (const { name, service, def } of composeKomrade)
      checkServiceEnv(`compose ${name}`, service, composeEnv(def));
  });

  test('Kubernetes: every Komrade Deployment has a complete, valid environment', () => {
    for (const o of k8s.filter((x) => deploymentService(x))) {
      const service = deploymentService(o) as ServiceName;
      const c = containers(podSpec(o.raw).spec).find((x) =>
        serviceOf(optArr(x.command, 'command').map((y) => str(y, 'command'))),
      );
      assert.ok(c);
      checkServiceEnv(`k8s ${o.name}`, service, containerEnv(c));
    }
  });

  test('systemd: komrade.env (and <service>.env) is a complete, valid environment', () => {
    for (const s of SERVICES) checkServiceEnv(`systemd komrade@${s}`, s, systemdEnv(s));
  });

  test('secrets are never written in a committed file', () => {
    const literal: [string, Env][] = [
      ['deploy/compose/komrade.env', composeEnvFile],
      ['deploy/systemd/komrade.env', parseEnvFile('deploy/systemd/komrade.env')],
      ['k8s ConfigMap komrade-env', k8sEnvConfigMap],
      ...composeServices.map(
        ([n, s]) =>
          [
            `compose ${n} environment`,
            Object.fromEntries(
              Object.entries(optObj(s.environment, 'environment')).map(([k, v]) => [k, String(v)]),
            ),
          ] as [string, Env],
      ),
    ];
    for (const [where, env] of literal)
      for (const k of Object.keys(SECRETS)) assert.equal(env[k], undefined, `${where}: ${k}`);
    for (const o of workloads)
      for (const c of containers(podSpec(o.raw).spec))
        for (const e of optArr(c.env, 'env').map((x) => obj(x, 'env')))
          if (SECRETS[str(e.name, 'name')] !== undefined)
            assert.equal(e.value, undefined, `${o.name}: ${String(e.name)} from a Secret only`);
    const ignored = read('deploy/compose/.gitignore').split('\n');
    for (const [, s] of composeServices)
      for (const f of composeEnvFiles(s))
        if (!existsSync(join(repoRoot, 'deploy/compose', f)))
          assert.ok(ignored.includes(f), `deploy/compose/.gitignore keeps ${f} out of Git`);
  });

  test('every KOMRADE_* variable set anywhere in deploy/ is in KNOWN_VARIABLES', () => {
    const set: string[] = [
      ...Object.keys(composeEnvFile),
      ...composeServices.flatMap(([, s]) => Object.keys(optObj(s.environment, 'environment'))),
      ...SERVICES.flatMap((s) => Object.keys(systemdEnv(s))),
      ...composeKomrade.flatMap(({ def }) => Object.keys(composeEnv(def))),
      ...k8s
        .filter((o) => o.kind === 'ConfigMap')
        .flatMap((o) => Object.keys(optObj(o.raw.data, 'data'))),
      ...workloads.flatMap((o) =>
        containers(podSpec(o.raw).spec).flatMap((c) =>
          optArr(c.env, 'env').map((e) => str(obj(e, 'env').name, 'name')),
        ),
      ),
      ...unitFiles.flatMap((f) =>
        unitValues(parseUnit(f), 'Service', 'Environment').map((v) => v.split('=')[0] as string),
      ),
    ];
    const komrade = set.filter((k) => k.startsWith('KOMRADE_'));
    assert.ok(komrade.length > 20, 'variables were found');
    assert.deepEqual(
      komrade.filter((k) => !KNOWN_VARIABLES.has(k)),
      [],
    );
  });

  test('clustered deployments: JetStream R3, Redis Cluster, sorter waits for a replica', () => {
    for (const [where, env] of [
      ['compose', composeEnvFile],
      ['k8s', k8sEnvConfigMap],
    ] as const) {
      assert.equal(env['KOMRADE_JS_REPLICAS'], '3', `${where}: KOMRADE_JS_REPLICAS`);
      assert.equal(env['KOMRADE_REDIS_CLUSTER'], 'true', `${where}: KOMRADE_REDIS_CLUSTER`);
      assert.ok(Number(env['KOMRADE_REDIS_WAIT_REPLICAS']) >= 1, `${where}: WAIT replicas`);
    }
  });

  test('one-machine systemd relay: one JetStream replica for one NATS node, no WAIT', () => {
    const env = parseEnvFile('deploy/systemd/komrade.env');
    const nats = parseNatsConf('deploy/nats/systemd.conf');
    assert.equal(nats.cluster, undefined, 'a single node');
    assert.equal(env['KOMRADE_JS_REPLICAS'], '1');
    assert.equal(env['KOMRADE_REDIS_WAIT_REPLICAS'], '0');
    assert.equal(env['KOMRADE_REDIS_CLUSTER'], 'false');
  });
});

describe('deploy manifests: replicas', () => {
  test('compose: two copies of every Komrade service, 3 NATS nodes, 6 Redis nodes', () => {
    for (const s of SERVICES) {
      const copies = composeKomrade
        .filter((c) => c.service === s)
        .reduce((n, c) => n + composeReplicas(c.def), 0);
      assert.equal(copies, 2, `compose: ${s} copies`);
    }
    assert.equal(composeNatsNodes.length, 3);
    assert.equal(composeRedisNodes.length, 6);
  });

  test('Kubernetes: a 2-replica Deployment per service, NATS 3, Redis 6, each with a PDB', () => {
    for (const s of SERVICES) {
      const ds = k8s.filter((o) => deploymentService(o) === s);
      assert.equal(ds.length, 1, `one Deployment runs ${s}`);
      assert.equal(obj((ds[0] as K8sObject).raw.spec, 'spec').replicas, 2, `${s} replicas`);
    }
    assert.equal(obj(k8sGet('StatefulSet', 'nats').spec, 'spec').replicas, 3);
    assert.equal(obj(k8sGet('StatefulSet', 'redis').spec, 'spec').replicas, 6);
    const pdbs = k8s.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const o of k8s.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
      const { labels } = podSpec(o.raw);
      const covered = pdbs.some((p) => {
        const sel = optObj(obj(obj(p.raw.spec, 'spec').selector, 'selector').matchLabels, 'ml');
        return Object.entries(sel).every(([k, v]) => labels[k] === v);
      });
      assert.ok(covered, `${o.kind}/${o.name} has a PodDisruptionBudget`);
    }
  });

  test('Kubernetes: every container has CPU and memory requests and limits', () => {
    for (const o of workloads)
      for (const c of containers(podSpec(o.raw).spec)) {
        const r = obj(c.resources, `${o.name} resources`);
        const req = obj(r.requests, `${o.name} requests`);
        const lim = obj(r.limits, `${o.name} limits`);
        for (const k of ['cpu', 'memory'])
          assert.ok(
            req[k] !== undefined && lim[k] !== undefined,
            `${o.name}/${String(c.name)} ${k}`,
          );
        assert.ok(
          bytes(str(lim.memory, 'limit')) >= bytes(str(req.memory, 'request')),
          `${o.name}/${String(c.name)}: memory limit >= request`,
        );
      }
  });
});

describe('deploy manifests: ports and addresses', () => {
  test('NATS: every client URL is a cluster node on port 4222, routes on 6222', () => {
    const composeConf = parseNatsConf('deploy/nats/compose.conf');
    const k8sConf = parseNatsConf('deploy/nats/kubernetes.conf');
    const systemdConf = parseNatsConf('deploy/nats/systemd.conf');
    for (const c of [composeConf, k8sConf, systemdConf]) assert.equal(c.clientPort, 4222);
    const composeNodes = composeNatsNodes.map(([n]) => n).sort();
    const k8sNodes = [0, 1, 2].map((i) => `nats-${i}.nats`);
    for (const [where, env, conf, nodes] of [
      ['compose', composeEnvFile, composeConf, composeNodes],
      ['k8s', k8sEnvConfigMap, k8sConf, k8sNodes],
    ] as const) {
      const list = urls(env['KOMRADE_NATS_URLS']);
      assert.deepEqual(
        list.map((u) => u.hostname).sort(),
        [...nodes].sort(),
        `${where}: every node`,
      );
      for (const u of list) assert.equal(u.port, '4222', `${where}: ${u.href}`);
      assert.ok(conf.cluster, `${where}: cluster block`);
      assert.equal(conf.cluster.port, 6222);
      assert.deepEqual(conf.cluster.routes.map((r) => r.host).sort(), [...nodes].sort());
      for (const r of conf.cluster.routes) assert.equal(r.port, 6222);
    }
    const sysUrls = urls(parseEnvFile('deploy/systemd/komrade.env')['KOMRADE_NATS_URLS']);
    for (const u of sysUrls) assert.equal(u.port, '4222');
    // the k8s container and Service ports are the ones in the config
    const natsPod = podSpec(k8sGet('StatefulSet', 'nats')).spec;
    const ports = arr(obj(arr(natsPod.containers, 'c')[0], 'c').ports, 'ports').map(
      (p) => obj(p, 'port').containerPort,
    );
    assert.deepEqual(ports, [4222, 6222, 8222]);
    assert.equal(obj(k8sGet('Service', 'nats').spec, 'spec').clusterIP, 'None');
    assert.equal(obj(k8sGet('StatefulSet', 'nats').spec, 'spec').serviceName, 'nats');
  });

  test('Redis: every seed URL is a cluster node on the configured port', () => {
    const conf = parseDirectives(read('deploy/redis/cluster.conf'));
    const port = directive(conf, 'port');
    assert.equal(port, '6379');
    const composeNodes = composeRedisNodes.map(([n]) => n).sort();
    const k8sNodes = [0, 1, 2, 3, 4, 5].map((i) => `redis-${i}.redis`);
    const composeInit = composeCommand(obj(obj(compose.services, 's')['redis-init'], 'redis-init'));
    const k8sInit = containers(podSpec(k8sGet('Job', 'redis-cluster-init')).spec).flatMap((c) =>
      optArr(c.command, 'command').map((x) => str(x, 'command')),
    );
    for (const [where, env, nodes, init] of [
      ['compose', composeEnvFile, composeNodes, composeInit],
      ['k8s', k8sEnvConfigMap, k8sNodes, k8sInit],
    ] as const) {
      const list = urls(env['KOMRADE_REDIS_URL']);
      assert.deepEqual(list.map((u) => u.hostname).sort(), [...nodes].sort(), `${where} seeds`);
      for (const u of list) assert.equal(u.port, port, `${where}: ${u.href}`);
      assert.deepEqual(
        init.filter((a) => /:\d+$/.test(a)).sort(),
        nodes.map((n) => `${n}:${port}`).sort(),
        `${where}: the init step creates the cluster from every node`,
      );
    }
    const redisPod = podSpec(k8sGet('StatefulSet', 'redis')).spec;
    const ports = arr(obj(arr(redisPod.containers, 'c')[0], 'c').ports, 'ports').map(
      (p) => obj(p, 'port').containerPort,
    );
    assert.deepEqual(ports, [Number(port), Number(port) + 10000]);
    const peers = arr(obj(arr(redisPod.containers, 'c')[0], 'c').env, 'env')
      .map((e) => obj(e, 'env'))
      .find((e) => e.name === 'REDIS_PEERS');
    assert.deepEqual(str(peers?.value, 'REDIS_PEERS').split(' ').sort(), k8sNodes);
    const sys = parseDirectives(read('deploy/redis/systemd.conf'));
    for (const u of urls(parseEnvFile('deploy/systemd/komrade.env')['KOMRADE_REDIS_URL']))
      assert.equal(u.port, directive(sys, 'port'));
  });

  test('the operator port equals the tor HiddenServicePort target and the container port', () => {
    // Kubernetes: tor sidecar in the same pod, operator on its loopback
    const op = k8s.find((o) => deploymentService(o) === 'operator');
    assert.ok(op);
    const pod = podSpec(op.raw).spec;
    const opContainer = arr(pod.containers, 'containers')
      .map((c) => obj(c, 'c'))
      .find((c) => serviceOf(optArr(c.command, 'command').map((x) => str(x, 'command'))));
    assert.ok(opContainer);
    const env = containerEnv(opContainer);
    const port = Number(env['KOMRADE_OPERATOR_PORT']);
    assert.equal(env['KOMRADE_OPERATOR_HOST'], '127.0.0.1');
    const cfg = operatorConfig(env);
    assert.equal(cfg.port, port);
    const containerPorts = optArr(opContainer.ports, 'ports').map((p) => obj(p, 'p').containerPort);
    assert.deepEqual(containerPorts, [port]);
    const k8sTorrc = parseDirectives(str(configMapData('tor-config').torrc, 'torrc'));
    assert.deepEqual(directives(k8sTorrc, 'HiddenServicePort'), [`80 127.0.0.1:${port}`]);
    assert.ok(
      arr(pod.containers, 'containers').some((c) =>
        str(obj(c, 'c').image, 'image').startsWith('komrade-tor:'),
      ),
      'the operator pod has a tor sidecar',
    );
    assert.notEqual(pod.hostNetwork, true);

    // systemd: Debian's tor forwards to the operator's loopback port
    const sysEnv = parseEnvFile('deploy/systemd/komrade.env');
    const sysTorrc = parseDirectives(read('deploy/systemd/komrade.torrc'));
    assert.equal(sysEnv['KOMRADE_OPERATOR_HOST'], '127.0.0.1');
    assert.deepEqual(directives(sysTorrc, 'HiddenServicePort'), [
      `80 127.0.0.1:${sysEnv['KOMRADE_OPERATOR_PORT'] ?? ''}`,
    ]);

    // compose: one unix socket per operator copy, each a HiddenServicePort target
    const composeTorrc = parseDirectives(read('deploy/tor/compose.torrc'));
    const targets = directives(composeTorrc, 'HiddenServicePort').map((v) => {
      const [virt, target] = v.split(/\s+/);
      assert.equal(virt, '80');
      return target ?? '';
    });
    const sockets = composeKomrade
      .filter((c) => c.service === 'operator')
      .map((c) => composeEnv(c.def)['KOMRADE_OPERATOR_HOST'] ?? '');
    assert.deepEqual(targets.sort(), sockets.sort());
    const tor = obj(obj(compose.services, 'services').tor, 'tor');
    const torVolumes = optArr(tor.volumes, 'tor volumes').map((v) => str(v, 'volume'));
    for (const c of composeKomrade.filter((x) => x.service === 'operator')) {
      const socket = (composeEnv(c.def)['KOMRADE_OPERATOR_HOST'] ?? '').replace(/^unix:/, '');
      assert.match(composeCommand(c.def).join(' '), new RegExp(`rm -f ${socket} `));
      const shared = optArr(c.def.volumes, 'volumes')
        .map((v) => str(v, 'volume'))
        .filter((v) => torVolumes.includes(v));
      assert.ok(
        shared.some((v) => socket.startsWith(`${v.split(':')[1] ?? ''}/`)),
        `${c.name}: its socket is on a volume tor mounts at the same path`,
      );
    }
  });

  test('metrics probes read the port the services are given', () => {
    const port = composeEnvFile['KOMRADE_METRICS_PORT'];
    assert.equal(k8sEnvConfigMap['KOMRADE_METRICS_PORT'], port);
    const probeText = JSON.stringify(k8s.map((o) => o.raw)) + JSON.stringify(compose);
    const used = [...probeText.matchAll(/127\.0\.0\.1:(\d+)\/metrics/g)].map((m) => m[1]);
    assert.ok(used.length > 0);
    for (const p of used) assert.equal(p, port);
  });
});

describe('deploy manifests: exposure', () => {
  test('compose publishes no port on the host and keeps the backends off the internet', () => {
    for (const [name, s] of composeServices) {
      assert.equal(s.ports, undefined, `${name} publishes ports`);
      assert.notEqual(s.network_mode, 'host', `${name} uses the host network`);
    }
    const networks = obj(compose.networks, 'networks');
    assert.equal(obj(networks.backend, 'backend').internal, true);
    const tor = obj(obj(compose.services, 'services').tor, 'tor');
    assert.deepEqual(tor.networks, ['egress'], 'tor is not on the backend network');
    for (const { name, def } of composeKomrade)
      assert.ok(!JSON.stringify(def.networks).includes('egress'), `${name} stays off egress`);
  });

  test('Kubernetes: no Service selects the operator, nothing exposes anything', () => {
    const op = k8s.find((o) => deploymentService(o) === 'operator');
    assert.ok(op);
    const { labels } = podSpec(op.raw);
    for (const o of k8s) {
      assert.ok(!['Ingress', 'Route', 'Gateway', 'HTTPRoute'].includes(o.kind), o.kind);
      if (o.kind !== 'Service') continue;
      const spec = obj(o.raw.spec, 'spec');
      assert.equal(spec.clusterIP, 'None', `Service/${o.name} is headless`);
      assert.ok(!['NodePort', 'LoadBalancer'].includes(String(spec.type)), `Service/${o.name}`);
      const sel = optObj(spec.selector, 'selector');
      const matches = Object.entries(sel).every(([k, v]) => labels[k] === v);
      assert.ok(!matches, `Service/${o.name} selects the operator pods`);
    }
    for (const o of workloads) {
      const { spec } = podSpec(o.raw);
      assert.notEqual(spec.hostNetwork, true, `${o.name}: hostNetwork`);
      for (const c of containers(spec))
        for (const p of optArr(c.ports, 'ports'))
          assert.equal(obj(p, 'port').hostPort, undefined, `${o.name}: hostPort`);
    }
  });

  test('Kubernetes NetworkPolicy: default deny, nothing into the operator, services reach only NATS/Redis', () => {
    const policies = k8s
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => obj(o.raw.spec, o.name));
    const selects = (p: Record<string, unknown>, labels: Record<string, unknown>): boolean =>
      Object.entries(optObj(obj(p.podSelector, 'podSelector').matchLabels, 'ml')).every(
        ([k, v]) => labels[k] === v,
      );
    assert.ok(
      policies.some(
        (p) =>
          Object.keys(obj(p.podSelector, 'ps')).length === 0 &&
          JSON.stringify(p.policyTypes) === '["Ingress","Egress"]' &&
          p.ingress === undefined &&
          p.egress === undefined,
      ),
      'a default deny-all policy',
    );
    const natsLabels = podSpec(k8sGet('StatefulSet', 'nats')).labels;
    const redisLabels = podSpec(k8sGet('StatefulSet', 'redis')).labels;
    for (const s of SERVICES) {
      const o = k8s.find((x) => deploymentService(x) === s);
      assert.ok(o);
      const { labels } = podSpec(o.raw);
      for (const p of policies.filter((x) => selects(x, labels))) {
        if (s === 'operator')
          assert.deepEqual(optArr(p.ingress, 'ingress'), [], 'no ingress into the operator');
        else assert.deepEqual(optArr(p.ingress, 'ingress'), [], `no ingress into ${s}`);
        for (const rule of optArr(p.egress, 'egress').map((r) => obj(r, 'rule'))) {
          const ports = optArr(rule.ports, 'ports').map((x) => obj(x, 'port').port);
          if (rule.to === undefined) {
            assert.deepEqual(ports, [53, 53], `${s}: only DNS goes anywhere`);
            continue;
          }
          for (const to of arr(rule.to, 'to').map((t) => obj(t, 'to'))) {
            if (to.ipBlock !== undefined) {
              assert.equal(s, 'operator', `${s}: only the tor sidecar leaves the cluster`);
              assert.equal(labels['komrade.io/tor'], 'true');
              continue;
            }
            const ml = optObj(obj(to.podSelector, 'podSelector').matchLabels, 'ml');
            const target = [natsLabels, redisLabels].find((l) =>
              Object.entries(ml).every(([k, v]) => l[k] === v),
            );
            assert.ok(target, `${s}: egress only to NATS or Redis pods`);
          }
        }
      }
    }
  });

  test('containers run unprivileged, read-only, without capabilities', () => {
    for (const o of workloads) {
      const { spec } = podSpec(o.raw);
      const podSec = obj(spec.securityContext, `${o.name} securityContext`);
      assert.equal(podSec.runAsNonRoot, true, `${o.name}: runAsNonRoot`);
      assert.equal(typeof podSec.runAsUser, 'number', `${o.name}: numeric runAsUser`);
      assert.equal(spec.automountServiceAccountToken, false, `${o.name}: no API token`);
      for (const c of containers(spec)) {
        const sec = obj(c.securityContext, `${o.name}/${String(c.name)} securityContext`);
        assert.equal(sec.allowPrivilegeEscalation, false);
        assert.equal(sec.readOnlyRootFilesystem, true);
        assert.deepEqual(obj(sec.capabilities, 'capabilities').drop, ['ALL']);
      }
    }
    for (const [name, s] of composeServices)
      if (!name.startsWith('redis') && !name.startsWith('nats')) {
        assert.deepEqual(s.cap_drop, ['ALL'], `${name}: cap_drop`);
        assert.equal(s.read_only, true, `${name}: read_only`);
      }
  });
});

describe('deploy manifests: engines', () => {
  test('Redis keeps mail in memory only: no RDB, no AOF, diskless replication', () => {
    for (const file of ['deploy/redis/cluster.conf', 'deploy/redis/systemd.conf']) {
      const d = parseDirectives(read(file));
      assert.equal(directive(d, 'save'), '""', `${file}: save ""`);
      assert.equal(directive(d, 'appendonly'), 'no', `${file}: appendonly no`);
      assert.equal(directive(d, 'maxmemory-policy'), 'noeviction', `${file}: noeviction`);
    }
    const cluster = parseDirectives(read('deploy/redis/cluster.conf'));
    assert.equal(directive(cluster, 'cluster-enabled'), 'yes');
    assert.equal(directive(cluster, 'repl-diskless-sync'), 'yes');
    assert.equal(directive(cluster, 'repl-diskless-load'), 'swapdb');
    // nothing overrides it on a command line
    const everything = [
      read('deploy/compose/compose.yaml'),
      ...k8sFiles.map(read),
      read('deploy/systemd/komrade-redis.service'),
      read('deploy/redis/start.sh'),
    ].join('\n');
    assert.doesNotMatch(everything, /--appendonly\s+yes|--save\s+(?!"")/);
    assert.match(
      read('deploy/redis/start.sh'),
      /exec docker-entrypoint\.sh redis-server \/etc\/komrade\/redis\.conf\n/,
    );
    // the compose nodes and the k8s pods run that file
    for (const [name, s] of composeRedisNodes)
      assert.ok(
        optArr(s.volumes, 'volumes').includes('../redis/cluster.conf:/etc/komrade/redis.conf:ro'),
        `${name} mounts cluster.conf`,
      );
  });

  test('memory limits leave room above Redis maxmemory and the NATS memory store', () => {
    const maxmemory = Number(
      directive(parseDirectives(read('deploy/redis/cluster.conf')), 'maxmemory'),
    );
    const natsMem = parseNatsConf('deploy/nats/kubernetes.conf').maxMemoryStore;
    assert.equal(parseNatsConf('deploy/nats/compose.conf').maxMemoryStore, natsMem);
    const mailMax = Number(k8sEnvConfigMap['KOMRADE_MAIL_STREAM_MAX_BYTES'] ?? 256 * 1024 * 1024);
    assert.ok(natsMem > mailMax, 'a NATS node holds a whole copy of the mail stream');
    const limit = (kind: string, name: string): number =>
      bytes(
        str(
          obj(
            obj(obj(containers(podSpec(k8sGet(kind, name)).spec)[0], 'c').resources, 'r').limits,
            'l',
          ).memory,
          'memory',
        ),
      );
    assert.ok(limit('StatefulSet', 'redis') > maxmemory * 1.2, 'redis pod limit');
    assert.ok(limit('StatefulSet', 'nats') > natsMem * 1.5, 'nats pod limit');
    const composeLimit = (s: Record<string, unknown>): number =>
      bytes(str(obj(obj(obj(s.deploy, 'd').resources, 'r').limits, 'l').memory, 'memory'));
    for (const [name, s] of composeRedisNodes) assert.ok(composeLimit(s) > maxmemory * 1.2, name);
    for (const [name, s] of composeNatsNodes) assert.ok(composeLimit(s) > natsMem * 1.5, name);
  });

  test('a restarted Redis node waits for its replica to take over before it serves', () => {
    const timeoutMs = Number(
      directive(parseDirectives(read('deploy/redis/cluster.conf')), 'cluster-node-timeout'),
    );
    const defaultDelay = Number(
      /REDIS_RESTART_DELAY_SEC:-(\d+)/.exec(read('deploy/redis/start.sh'))?.[1],
    );
    const k8sDelay = arr(
      obj(arr(podSpec(k8sGet('StatefulSet', 'redis')).spec.containers, 'c')[0], 'c').env,
      'env',
    )
      .map((e) => obj(e, 'env'))
      .find((e) => e.name === 'REDIS_RESTART_DELAY_SEC')?.value;
    for (const delay of [defaultDelay, Number(k8sDelay)])
      assert.ok(delay * 1000 >= 3 * timeoutMs, `${delay}s against a ${timeoutMs} ms node timeout`);
  });

  test('NATS: JetStream on every node, clustered where R3 is asked for', () => {
    for (const file of ['deploy/nats/compose.conf', 'deploy/nats/kubernetes.conf']) {
      const c = parseNatsConf(file);
      assert.equal(c.storeDir, '/data/jetstream', file);
      assert.equal(c.cluster?.name, 'komrade', file);
      assert.equal(c.cluster?.routes.length, 3, file);
    }
    for (const [name, s] of composeNatsNodes)
      assert.ok(
        optArr(s.volumes, 'volumes').some((v) => String(v).endsWith(':/data')),
        `${name}: the JetStream store is on a volume`,
      );
    const natsSts = obj(k8sGet('StatefulSet', 'nats').spec, 'spec');
    assert.equal(optArr(natsSts.volumeClaimTemplates, 'vct').length, 1, 'nats store on a PVC');
  });

  test('tor: no SOCKS port, a HiddenServiceDir kept with mode 0700', () => {
    const torrcs = {
      compose: read('deploy/tor/compose.torrc'),
      k8s: read('deploy/tor/kubernetes.torrc'),
      systemd: read('deploy/systemd/komrade.torrc'),
    };
    for (const [where, text] of Object.entries(torrcs)) {
      const d = parseDirectives(text);
      assert.equal(directive(d, 'SocksPort'), '0', `${where}: SocksPort 0`);
      assert.ok(directive(d, 'HiddenServiceDir'), `${where}: HiddenServiceDir`);
      assert.ok(directives(d, 'HiddenServicePort').length > 0, `${where}: HiddenServicePort`);
    }
    // compose: the HiddenServiceDir is on the tor-data volume, created 0700 by the image
    const hsDir = directive(parseDirectives(torrcs.compose), 'HiddenServiceDir') ?? '';
    const tor = obj(obj(compose.services, 'services').tor, 'tor');
    const volume = optArr(tor.volumes, 'volumes')
      .map((v) => str(v, 'volume').split(':'))
      .find(([src, dst]) => !src?.startsWith('.') && hsDir.startsWith(`${dst ?? ''}/`));
    assert.ok(volume, 'HiddenServiceDir is on a named volume');
    assert.ok(volume[0] !== undefined && volume[0] in obj(compose.volumes, 'volumes'));
    assert.match(read('deploy/tor/Dockerfile'), new RegExp(`-m 0700 [^\\n]*${hsDir}`));
    // k8s: the init container installs the key into it with mode 0700
    const k8sHsDir = directive(parseDirectives(torrcs.k8s), 'HiddenServiceDir') ?? '';
    const op = k8s.find((o) => deploymentService(o) === 'operator');
    assert.ok(op);
    const init = optArr(podSpec(op.raw).spec.initContainers, 'init').map((c) => obj(c, 'c'));
    assert.ok(
      init.some((c) => JSON.stringify(c.command).includes(`install -d -m 0700 ${k8sHsDir}`)),
      'the onion key lands in a 0700 HiddenServiceDir',
    );
  });
});

describe('deploy manifests: systemd units', () => {
  const unit = parseUnit('deploy/systemd/komrade@.service');

  test('komrade@.service: instance = service, shared environment file, dynamic user', () => {
    const exec = unitValue(unit, 'Service', 'ExecStart') ?? '';
    assert.match(exec, /^\/usr\/bin\/node \/opt\/komrade\/services\/%i\/dist\/src\/main\.js$/);
    for (const s of SERVICES)
      assert.ok(exec.replace('%i', s).endsWith(mainOf(s)), `komrade@${s} runs ${mainOf(s)}`);
    assert.equal(unitValues(unit, 'Service', 'EnvironmentFile')[0], '/etc/komrade/komrade.env');
    assert.equal(unitValue(unit, 'Service', 'DynamicUser'), 'yes');
    assert.equal(unitValue(unit, 'Service', 'RestartPreventExitStatus'), '2');
  });

  test('komrade@.service: hardened, but with W^X left to V8', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
      CapabilityBoundingSet: '',
    };
    for (const [k, v] of Object.entries(expected))
      assert.equal(unitValue(unit, 'Service', k), v, `komrade@.service ${k}=${v}`);
    assert.equal(
      unitValue(unit, 'Service', 'MemoryDenyWriteExecute'),
      undefined,
      'MemoryDenyWriteExecute breaks the V8 JIT',
    );
  });

  test('komrade.target starts NATS, Redis and every service', () => {
    const target = parseUnit('deploy/systemd/komrade.target');
    const wants = unitValues(target, 'Unit', 'Wants').flatMap((v) => v.split(/\s+/));
    for (const u of [
      'komrade-nats.service',
      'komrade-redis.service',
      ...SERVICES.map((s) => `komrade@${s}.service`),
    ])
      assert.ok(wants.includes(u), `komrade.target wants ${u}`);
  });

  test('komrade-redis.service runs redis.conf without persistence, in RAM', () => {
    const redis = parseUnit('deploy/systemd/komrade-redis.service');
    assert.match(
      unitValue(redis, 'Service', 'ExecStart') ?? '',
      /redis-server \/etc\/komrade\/redis\.conf /,
    );
    assert.equal(unitValue(redis, 'Service', 'StateDirectory'), undefined, 'no state on disk');
    const dir = directive(parseDirectives(read('deploy/redis/systemd.conf')), 'dir');
    assert.equal(dir, `/run/${unitValue(redis, 'Service', 'RuntimeDirectory') ?? ''}`);
    const nats = parseUnit('deploy/systemd/komrade-nats.service');
    assert.match(
      unitValue(nats, 'Service', 'ExecStart') ?? '',
      /--config \/etc\/komrade\/nats\.conf$/,
    );
    assert.equal(
      parseNatsConf('deploy/nats/systemd.conf').storeDir,
      `/var/lib/${unitValue(nats, 'Service', 'StateDirectory') ?? ''}`,
    );
  });
});
