import { readFile } from 'node:fs/promises';
import {
  applyConfigEdit,
  proposeConfigSet,
  proposeConfigUnset,
  type ConfigEnv,
} from '../config/index.js';
import type { ConfigEditor } from './interaction-ports.js';

/**
 * The config editor over `config.yaml` on disk: proposals are computed from the file as it is
 * now (validated with `env`), and a write happens only if the file is unchanged since.
 */
export function fileConfigEditor(file: {
  readonly path: string;
  readonly env: ConfigEnv;
}): ConfigEditor {
  return {
    propose: async (path, value) => {
      const text = await readFile(file.path, 'utf8');
      return value === undefined
        ? proposeConfigUnset(text, path, file.env, { filePath: file.path })
        : proposeConfigSet(text, path, value, file.env, { filePath: file.path });
    },
    apply: (oldHash, newText) => applyConfigEdit(file.path, oldHash, newText),
  };
}
