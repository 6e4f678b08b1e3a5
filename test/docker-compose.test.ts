/**
 * Docker is not available where the tests run, so this checks statically that
 * docker-compose.yml, the Dockerfile and the files they mount wire together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  volumes?: string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml')) as Compose;
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** `[host address, host port, container port]` of a `127.0.0.1:8008:8008` mapping. */
function portMappings(name: string): [string, number, number][] {
  return (service(name).ports ?? []).map((mapping) => {
    const [address, hostPort, containerPort] = mapping.split(':');
    return [address!, Number(hostPort), Number(containerPort)];
  });
}

/** `[source, target]` of each volume entry, the `${VAR:-default}` source reduced to its default. */
function mounts(name: string): [string, string][] {
  return (service(name).volumes ?? []).map((entry) => {
    const withDefaults = entry.replace(/\$\{[A-Z_]+:-([^}]+)\}/g, '$1');
    const [source, target] = withDefaults.split(':');
    return [source!, target!];
  });
}

function dependencies(name: string): string[] {
  const dependsOn = service(name).depends_on ?? [];
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

/** The CMD of the Dockerfile's last stage, in exec form. */
function dockerfileCommand(): string[] {
  const lines = read('Dockerfile').split('\n');
  const cmd = lines.filter((line) => line.startsWith('CMD ')).at(-1);
  if (cmd === undefined) throw new Error('Dockerfile has no CMD');
  return JSON.parse(cmd.slice('CMD '.length)) as string[];
}

function optionValue(args: readonly string[], option: string): string | undefined {
  const index = args.indexOf(option);
  return index === -1 ? undefined : args[index + 1];
}

describe('docker-compose.yml', () => {
  it('runs synapse, quorum and element', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['synapse', 'quorum', 'element']));
    expect(service('synapse').image).toMatch(/^matrixdotorg\/synapse:/);
    expect(service('element').image).toMatch(/^vectorim\/element-web:/);
    expect(service('quorum').build).toBe('.');
  });

  it('has quorum reach synapse by service name on the port synapse listens on', () => {
    const synapsePort = portMappings('synapse')[0]![2];
    expect(service('quorum').environment?.['MATRIX_HOMESERVER']).toBe(
      `http://synapse:${synapsePort}`,
    );
    expect(dependencies('quorum')).toContain('synapse');
    const listener = parse(read('docker/synapse/compose-homeserver.yaml')) as {
      listeners: { port: number; bind_addresses: string[] }[];
    };
    expect(listener.listeners[0]).toMatchObject({ port: synapsePort, bind_addresses: ['0.0.0.0'] });
  });

  it('publishes ports on the loopback address only', () => {
    for (const name of ['synapse', 'quorum', 'element']) {
      for (const [address] of portMappings(name)) expect(address).toBe('127.0.0.1');
    }
  });

  it('points element at the published synapse port and its server name', () => {
    const element = JSON.parse(read('docker/element/config.json')) as {
      default_server_config: { 'm.homeserver': { base_url: string; server_name: string } };
    };
    const homeserver = element.default_server_config['m.homeserver'];
    const publishedPort = portMappings('synapse')[0]![1];
    expect(homeserver.base_url).toBe(`http://localhost:${publishedPort}`);
    expect(homeserver.server_name).toBe(
      service('synapse-init').environment?.['SYNAPSE_SERVER_NAME'],
    );
    expect(service('quorum').environment?.['MATRIX_SERVER_NAME']).toBe(homeserver.server_name);
    expect(mounts('element')).toContainEqual(['./docker/element/config.json', '/app/config.json']);
  });

  it('mounts only files that exist and declares every named volume', () => {
    const userProvided = ['./config.yaml'];
    for (const name of Object.keys(services)) {
      for (const [source] of mounts(name)) {
        if (source.startsWith('.')) {
          if (!userProvided.includes(source)) expect(existsSync(resolve(ROOT, source))).toBe(true);
        } else {
          expect(Object.keys(compose.volumes)).toContain(source);
        }
      }
    }
  });

  it('starts synapse on config files the init step generates or the repo mounts', () => {
    expect(dependencies('synapse')).toContain('synapse-init');
    const configs = (service('synapse').command ?? [])
      .filter((arg) => arg.startsWith('--config-path='))
      .map((arg) => arg.slice('--config-path='.length));
    expect(configs[0]).toBe('/data/homeserver.yaml');
    for (const config of configs.slice(1)) {
      expect(config.startsWith('/quorum/')).toBe(true);
      expect(existsSync(resolve(ROOT, 'docker/synapse', config.slice('/quorum/'.length)))).toBe(
        true,
      );
    }
    expect(service('synapse-init').entrypoint).toEqual(['/bin/sh', '/quorum/init.sh']);
    expect(existsSync(resolve(ROOT, 'docker/synapse/init.sh'))).toBe(true);
  });

  it('takes the shared secret from .env, with an example of every variable in the repo', () => {
    expect(service('quorum').env_file).toBe('.env');
    expect(read('.gitignore').split('\n')).toContain('.env');
    const example = read('docker/quorum.env.example');
    const interpolated = [...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+)/g)].map(
      (m) => m[1],
    );
    expect(interpolated).toContain('MATRIX_REGISTRATION_SHARED_SECRET');
    for (const variable of interpolated)
      expect(example).toMatch(new RegExp(`^#? ?${variable}=`, 'm'));
  });

  it('runs the image command of the CLI contract on the mounted config, data and API port', () => {
    const command = dockerfileCommand();
    expect(command.slice(0, 3)).toEqual(['node', 'dist/cli/main.js', 'run']);
    const config = optionValue(command, '--config');
    const dataDir = optionValue(command, '--data-dir');
    const apiPort = Number(optionValue(command, '--api-port'));
    const targets = mounts('quorum').map(([, target]) => target);
    expect(targets).toContain(config);
    expect(targets).toContain(dataDir);
    expect(portMappings('quorum').map(([, , containerPort]) => containerPort)).toContain(apiPort);
  });

  it('gives the API a token, since the image binds it beyond loopback', () => {
    const command = dockerfileCommand();
    const host = optionValue(command, '--api-host');
    expect(host).toBe('0.0.0.0');
    // Quorum refuses a non-loopback bind without QUORUM_API_TOKEN: compose must require one.
    expect(service('quorum').environment?.['QUORUM_API_TOKEN']).toMatch(
      /^\$\{QUORUM_API_TOKEN:\?.+\}$/,
    );
    expect(read('docker/quorum.env.example')).toMatch(/^QUORUM_API_TOKEN=\S+/m);
    expect(read('Dockerfile')).toContain('QUORUM_API_TOKEN');
  });

  it('builds on Node 20 with a separate build stage and production-only dependencies', () => {
    const dockerfile = read('Dockerfile');
    const stages = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));
    for (const stage of stages) expect(stage).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
  });
});
