/** An entity that can be mentioned. */
export interface MentionTarget {
  readonly name: string;
  readonly userId: string;
  readonly displayName: string;
}

/** What a message says about mentions. */
export interface MentionSource {
  readonly body: string;
  /** `m.mentions.user_ids` plus users pilled in `formatted_body`. */
  readonly mentionedUserIds: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Names of the targets a message mentions, in config order: explicit mentions (`m.mentions`,
 * pills) first, then a plain-text fallback for clients that send none: `@name`, `@localpart`,
 * the full user id, or `@Display Name`, matched case-insensitively as whole words.
 */
export function findMentionedEntities(
  message: MentionSource,
  targets: readonly MentionTarget[],
): string[] {
  const explicit = new Set(message.mentionedUserIds);
  return targets
    .filter((target) => explicit.has(target.userId) || mentionsInText(message.body, target))
    .map((target) => target.name);
}

function mentionsInText(body: string, target: MentionTarget): boolean {
  if (!body.includes('@')) return false;
  if (body.includes(target.userId)) return true;
  const localpart = target.userId.slice(1, target.userId.indexOf(':'));
  const names = [target.name, localpart, target.displayName].filter((n) => n.length > 0);
  return names.some((name) =>
    new RegExp(`(^|[^\\w@])@${escapeRegExp(name)}(?![\\w-])`, 'i').test(body),
  );
}
