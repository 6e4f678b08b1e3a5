import { describe, expect, it } from 'vitest';
import { resolvePaths } from './resolve-paths.js';

describe('resolvePaths', () => {
  it('defaults to ./config.yaml and quorum_data beside it', () => {
    expect(resolvePaths({ env: {}, cwd: '/srv/quorum' })).toEqual({
      configPath: '/srv/quorum/config.yaml',
      dataDir: '/srv/quorum/quorum_data',
    });
  });

  it('takes the config path from QUORUM_CONFIG_PATH, with the data dir following it', () => {
    expect(resolvePaths({ env: { QUORUM_CONFIG_PATH: 'etc/q.yaml' }, cwd: '/srv' })).toEqual({
      configPath: '/srv/etc/q.yaml',
      dataDir: '/srv/etc/quorum_data',
    });
  });

  it('prefers --config over the environment', () => {
    const paths = resolvePaths({
      argvConfig: '/opt/c.yaml',
      env: { QUORUM_CONFIG_PATH: '/etc/q.yaml' },
      cwd: '/',
    });
    expect(paths.configPath).toBe('/opt/c.yaml');
  });

  it('takes the data dir from QUORUM_DATA_DIR, and --data-dir over it, relative to cwd', () => {
    const fromEnv = resolvePaths({ env: { QUORUM_DATA_DIR: 'state' }, cwd: '/srv' });
    const fromArgv = resolvePaths({
      argvDataDir: '/var/lib/q',
      env: { QUORUM_DATA_DIR: 'state' },
      cwd: '/srv',
    });
    expect(fromEnv.dataDir).toBe('/srv/state');
    expect(fromArgv.dataDir).toBe('/var/lib/q');
  });

  it('ignores empty values', () => {
    const paths = resolvePaths({
      argvConfig: '',
      env: { QUORUM_CONFIG_PATH: ' ', QUORUM_DATA_DIR: '' },
      cwd: '/srv',
    });
    expect(paths).toEqual({ configPath: '/srv/config.yaml', dataDir: '/srv/quorum_data' });
  });
});
