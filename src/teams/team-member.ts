/** A member agent of a team, as the team's prompts describe it. */
export interface TeamMember {
  /** Agent config key (`research`). */
  readonly name: string;
  readonly displayName: string;
  readonly role: string;
}

/**
 * What one member turn produced. The member's reply has already been posted under the
 * member's own account by whoever ran the turn; `text` is its final text.
 */
export interface MemberResult {
  readonly text: string;
  /** Output tokens the member's model reported (0 when unknown). */
  readonly outputTokens: number;
}

/** One member's part in a team run: its answer, or why there is none. */
export type MemberContribution =
  | {
      readonly kind: 'answered';
      readonly member: TeamMember;
      /** The sub-task (coordinate) or the shared request (collaborate). */
      readonly task: string;
      readonly text: string;
      readonly outputTokens: number;
    }
  | {
      readonly kind: 'failed';
      readonly member: TeamMember;
      readonly task: string;
      /** Operator-facing description of the failure. */
      readonly error: string;
    };

/** A member's answered contribution. */
export type AnsweredContribution = Extract<MemberContribution, { kind: 'answered' }>;

/**
 * The member among `members` a model-written name refers to: config name or display name,
 * case-insensitive, with or without a leading `@`.
 */
export function findMember(members: readonly TeamMember[], named: string): TeamMember | undefined {
  const wanted = named.trim().replace(/^@/, '').toLowerCase();
  return (
    members.find((member) => member.name.toLowerCase() === wanted) ??
    members.find((member) => member.displayName.toLowerCase() === wanted)
  );
}
