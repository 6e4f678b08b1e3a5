/**
 * `file`: the agent's own workspace directory (`<data dir>/workspaces/<agent>`), as MindRoom's
 * file toolkit names its functions: `read_file`, `save_file`, `list_files` and (opt-in)
 * `delete_file`. Nothing outside the workspace is reachable: not by absolute paths, not by
 * `..`, not through symlinks; sizes are capped both ways.
 */
import { constants } from 'node:fs';
import { open, readdir, stat, unlink } from 'node:fs/promises';
import type { QuorumToolOptions } from '../config/index.js';
import { ToolError } from './errors.js';
import type { Tool, ToolContext } from './tool.js';
import {
  displayPath,
  ensureParent,
  ensureWorkspace,
  isSymlink,
  resolveInWorkspace,
} from './workspace-paths.js';

/** Entries `list_files` shows at most. */
export const MAX_LISTED_FILES = 500;
const PATH_ARG = {
  type: 'string',
  description: 'Path relative to your workspace.',
  minLength: 1,
  maxLength: 1_000,
};

/** The tools of a `file` entry with `options`, those the options enable. */
export function createFileTools(options: QuorumToolOptions['file']): Tool[] {
  const tools: Tool[] = [];
  if (options.enable_read_file) tools.push(readFileTool(options.max_file_length));
  if (options.enable_save_file) tools.push(saveFileTool(options.max_write_bytes));
  if (options.enable_list_files) tools.push(listFilesTool);
  if (options.enable_delete_file) tools.push(deleteFileTool);
  return tools;
}

async function workspaceOf(context: ToolContext): Promise<string> {
  if (context.workspaceDir === undefined) {
    throw new ToolError('unavailable', 'this agent has no workspace directory');
  }
  return ensureWorkspace(context.workspaceDir);
}

function readFileTool(maxChars: number): Tool {
  return {
    name: 'read_file',
    description: 'Read a text file from your workspace.',
    needs: ['workspaceDir'],
    parameters: {
      type: 'object',
      properties: { path: PATH_ARG },
      required: ['path'],
      additionalProperties: false,
    },
    run: async (args, context) => {
      const root = await workspaceOf(context);
      const path = await resolveInWorkspace(root, String(args['path']), { mustExist: true });
      // O_NOFOLLOW: the last component is never a link (a link planted after the check).
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
        (error: unknown) => {
          throw new ToolError(
            'refused',
            `cannot open '${displayPath(root, path)}': ${codeOf(error)}`,
          );
        },
      );
      try {
        const info = await handle.stat();
        if (!info.isFile())
          throw new ToolError('invalid_arguments', `'${displayPath(root, path)}' is not a file`);
        // Read at most 4 bytes per allowed character, never the whole of a huge file.
        const buffer = Buffer.alloc(Math.min(info.size, maxChars * 4));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        if (text.length <= maxChars && bytesRead === info.size) return text;
        return `${text.slice(0, maxChars)}\n\n[file cut: showing the first ${maxChars} characters of a ${info.size}-byte file]`;
      } finally {
        await handle.close();
      }
    },
  };
}

function saveFileTool(maxBytes: number): Tool {
  return {
    name: 'save_file',
    description: 'Write a text file in your workspace (creating folders as needed).',
    needs: ['workspaceDir'],
    parameters: {
      type: 'object',
      properties: {
        path: PATH_ARG,
        contents: { type: 'string', description: 'The whole new content of the file.' },
        overwrite: { type: 'boolean', description: 'Replace an existing file (default true).' },
      },
      required: ['path', 'contents'],
      additionalProperties: false,
    },
    run: async (args, context) => {
      const root = await workspaceOf(context);
      const contents = String(args['contents']);
      const bytes = Buffer.byteLength(contents);
      if (bytes > maxBytes) {
        throw new ToolError('refused', `the contents are ${bytes} bytes; the limit is ${maxBytes}`);
      }
      const path = await resolveInWorkspace(root, String(args['path']));
      await ensureParent(root, path);
      if (await isSymlink(path))
        throw new ToolError('refused', 'that path is a link; links are not followed');
      const flags =
        constants.O_WRONLY |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        (args['overwrite'] === false ? constants.O_EXCL : constants.O_TRUNC);
      const handle = await open(path, flags, 0o600).catch((error: unknown) => {
        throw new ToolError(
          'refused',
          `cannot write '${displayPath(root, path)}': ${codeOf(error)}`,
        );
      });
      try {
        await handle.writeFile(contents, 'utf8');
      } finally {
        await handle.close();
      }
      context.log.info('tool wrote a file', { bytes });
      return `Saved ${displayPath(root, path)} (${bytes} bytes).`;
    },
  };
}

const listFilesTool: Tool = {
  name: 'list_files',
  description: 'List the files and folders of a folder in your workspace.',
  needs: ['workspaceDir'],
  parameters: {
    type: 'object',
    properties: {
      directory: {
        ...PATH_ARG,
        description: 'Folder relative to your workspace (default: the workspace).',
      },
    },
    additionalProperties: false,
  },
  run: async (args, context) => {
    const root = await workspaceOf(context);
    const given = typeof args['directory'] === 'string' ? args['directory'] : '.';
    const dir = await resolveInWorkspace(root, given, { mustExist: true });
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      throw new ToolError(
        'invalid_arguments',
        `cannot list '${displayPath(root, dir)}': ${codeOf(error)}`,
      );
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    const lines: string[] = [];
    for (const entry of entries.slice(0, MAX_LISTED_FILES)) {
      if (entry.isDirectory()) lines.push(`${entry.name}/`);
      else if (entry.isSymbolicLink()) lines.push(`${entry.name} (link)`);
      else {
        const info = await stat(`${dir}/${entry.name}`).catch(() => undefined);
        lines.push(`${entry.name} (${info?.size ?? 0} bytes)`);
      }
    }
    if (entries.length > MAX_LISTED_FILES)
      lines.push(`…and ${entries.length - MAX_LISTED_FILES} more`);
    const where = displayPath(root, dir);
    return lines.length === 0 ? `${where} is empty.` : `${where}:\n${lines.join('\n')}`;
  },
};

const deleteFileTool: Tool = {
  name: 'delete_file',
  description: 'Delete a file in your workspace.',
  needs: ['workspaceDir'],
  parameters: {
    type: 'object',
    properties: { path: PATH_ARG },
    required: ['path'],
    additionalProperties: false,
  },
  run: async (args, context) => {
    const root = await workspaceOf(context);
    const path = await resolveInWorkspace(root, String(args['path']), { mustExist: true });
    if (path === root) throw new ToolError('refused', 'the workspace itself cannot be deleted');
    await unlink(path).catch((error: unknown) => {
      throw new ToolError(
        'refused',
        `cannot delete '${displayPath(root, path)}': ${codeOf(error)}`,
      );
    });
    return `Deleted ${displayPath(root, path)}.`;
  },
};

function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ELOOP':
      return 'it is a link, and links are not followed';
    case 'EEXIST':
      return 'it exists (set overwrite to true to replace it)';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOENT':
      return 'it does not exist';
    case undefined:
      return 'failed';
    default:
      return code;
  }
}
