import type { Tool } from '../tools/index.js';
import { ToolError } from '../tools/index.js';
import { citationOf, fenced } from './knowledge-context.js';
import type { KnowledgeManager } from './knowledge-manager.js';

/** MindRoom's knowledge search tool name. */
export const KNOWLEDGE_SEARCH_TOOL = 'search_knowledge_base';
const MAX_RESULTS = 10;
const MAX_RESULT_CHARS = 12_000;

/**
 * `search_knowledge_base(query)` over the agent's knowledge bases: the best chunks, each
 * headed by its citation (`base:file:start-end`) so replies can cite it. Returns no tool when
 * the agent has no knowledge base. The bases are fixed here, never taken from the model.
 */
export function createKnowledgeTools(manager: KnowledgeManager, bases: readonly string[]): Tool[] {
  if (bases.length === 0) return [];
  const described = bases
    .map((id) => {
      const description = manager.configOf(id)?.description.trim() ?? '';
      return description === '' ? `"${id}"` : `"${id}" (${description.slice(0, 200)})`;
    })
    .join(', ');
  return [
    {
      name: KNOWLEDGE_SEARCH_TOOL,
      description: `Search the knowledge bases ${described} for passages relevant to a query. Results name their file and line range; cite them in your answer.`,
      parameters: {
        type: 'object',
        properties: {
          query: {
            type: 'string',
            description: 'What to look for.',
            minLength: 1,
            maxLength: 2_000,
          },
          limit: {
            type: 'integer',
            description: `Maximum number of passages (default 5, at most ${MAX_RESULTS}).`,
            minimum: 1,
            maximum: MAX_RESULTS,
          },
        },
        required: ['query'],
        additionalProperties: false,
      },
      run: async (args, context) => {
        const query = args['query'];
        if (typeof query !== 'string' || query.trim() === '')
          throw new ToolError('invalid_arguments', "'query' must be a non-empty string");
        const limit =
          typeof args['limit'] === 'number'
            ? Math.min(MAX_RESULTS, Math.max(1, Math.floor(args['limit'])))
            : 5;
        const hits = await manager.search(bases, query, { limit, signal: context.signal });
        if (hits.length === 0) return 'No matching passages in the knowledge bases.';
        const parts: string[] = [];
        let used = 0;
        for (const [index, hit] of hits.entries()) {
          const part = `[${index + 1}] ${citationOf(hit)}\n${fenced(hit.text)}`;
          if (used + part.length > MAX_RESULT_CHARS && parts.length > 0) break;
          parts.push(part.slice(0, MAX_RESULT_CHARS));
          used += part.length;
        }
        return parts.join('\n\n');
      },
    },
  ];
}
