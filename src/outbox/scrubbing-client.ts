/**
 * Every outgoing Matrix text passes the secret scrubber: a decorator over a bot's client
 * that replaces known secret values in what `sendText` and `editText` send (body, details,
 * extra content) and in a redaction's reason. Everything else passes through unchanged.
 */
import type { MessageEditor, MessageSender, OutgoingText, Reactor } from '../matrix/index.js';
import { scrubDeep, type TextScrubber } from '../shared/index.js';

/** `message` with every text field scrubbed. */
export function scrubOutgoingText(message: OutgoingText, scrubber: TextScrubber): OutgoingText {
  return {
    ...message,
    body: scrubber.scrub(message.body),
    ...(message.details === undefined
      ? {}
      : {
          details: message.details.map((detail) => ({
            summary: scrubber.scrub(detail.summary),
            text: scrubber.scrub(detail.text),
          })),
        }),
    ...(message.extraContent === undefined
      ? {}
      : {
          extraContent: scrubDeep(message.extraContent, scrubber) as Readonly<
            Record<string, unknown>
          >,
        }),
  };
}

/**
 * `client` with its sends scrubbed: `sendText`, `editText`, and `redact`'s reason. Other
 * members (sync, rooms, profile, …) are the client's own, bound to it. The caller keeps using
 * the returned object wherever it used the client.
 */
export function withScrubbedSends<T extends MessageSender & MessageEditor & Partial<Reactor>>(
  client: T,
  scrubber: TextScrubber,
): T {
  const sendText: MessageSender['sendText'] = (roomId, message, options) =>
    client.sendText(roomId, scrubOutgoingText(message, scrubber), options);
  const editText: MessageEditor['editText'] = (roomId, targetId, message, options) =>
    client.editText(roomId, targetId, scrubOutgoingText(message, scrubber), options);
  const redact: Reactor['redact'] = (roomId, eventId, options) => {
    if (client.redact === undefined) throw new Error('this client cannot redact');
    return client.redact(
      roomId,
      eventId,
      options.reason === undefined
        ? options
        : { ...options, reason: scrubber.scrub(options.reason) },
    );
  };
  const overrides: Record<PropertyKey, unknown> = { sendText, editText, redact };
  return new Proxy(client, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property];
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the client itself (classes with private fields need their own `this`).
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
