/**
 * Schema migrations, applied in order; index + 1 is the schema version stored in
 * `PRAGMA user_version`. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  -- Bot accounts. One row per entity name; kept when an entity is removed so re-adding reuses it.
  CREATE TABLE accounts (
    entity TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    access_token TEXT NOT NULL,
    device_id TEXT NOT NULL,
    password TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- Each bot's sync position, written in the same transaction that admits the batch's events.
  CREATE TABLE sync_tokens (
    bot TEXT PRIMARY KEY,
    next_batch TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- The ingress journal: every event any bot received, admitted once by event id.
  CREATE TABLE journal (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    type TEXT NOT NULL,
    origin_ts INTEGER NOT NULL,
    thread_root TEXT,
    relates_to TEXT,
    rel_type TEXT,
    json TEXT NOT NULL,
    admitted_at INTEGER NOT NULL,
    admitted_by TEXT NOT NULL,
    -- 1 when admitted from history (first sync, backfill older than the catch-up window): never acted on.
    is_history INTEGER NOT NULL DEFAULT 0,
    decided_at INTEGER,
    decision TEXT
  );
  CREATE INDEX journal_thread ON journal(room_id, thread_root, origin_ts);
  CREATE INDEX journal_relates ON journal(relates_to);
  CREATE INDEX journal_undecided ON journal(admitted_at) WHERE decided_at IS NULL AND is_history = 0;

  -- Turn records (the ResponseTracker): which source event each responder answered, and with which reply.
  CREATE TABLE turns (
    responder TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    thread_root TEXT NOT NULL,
    requester TEXT NOT NULL,
    state TEXT NOT NULL,
    reply_event_id TEXT,
    -- The event whose text this turn answers: the source itself, or its latest edit.
    source_version TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    model TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (responder, source_event_id)
  );
  CREATE INDEX turns_reply ON turns(reply_event_id);
  CREATE INDEX turns_thread ON turns(room_id, thread_root);
  CREATE INDEX turns_open ON turns(state) WHERE state IN ('claimed', 'replying');

  -- Rooms an entity joined as a direct message (invite carried is_direct).
  CREATE TABLE direct_rooms (
    entity TEXT NOT NULL,
    room_id TEXT NOT NULL,
    inviter TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (entity, room_id)
  );

  -- Token usage per model call.
  CREATE TABLE usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    responder TEXT NOT NULL,
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL
  );
  CREATE INDEX usage_at ON usage(at);

  -- Per-thread settings such as a model chosen with !model.
  CREATE TABLE thread_settings (
    room_id TEXT NOT NULL,
    thread_root TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, thread_root, key)
  );
  `,
  `
  -- Team state per room and thread: the current topic, decisions made and open questions
  -- (JSON arrays of strings), extracted after each team reply and given to agents as context.
  CREATE TABLE team_state (
    room_id TEXT NOT NULL,
    thread_root TEXT NOT NULL,
    topic TEXT NOT NULL,
    decisions TEXT NOT NULL,
    open_questions TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, thread_root)
  );
  `,
  `
  -- Pending interactions: questions an agent asked (ask_user), tool calls awaiting approval and
  -- config changes awaiting confirmation. Survive restarts; decided at most once.
  CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    room_id TEXT NOT NULL,
    thread_root TEXT,
    -- The message Quorum posted for it (question, approval or confirmation card); set once posted.
    card_event_id TEXT,
    -- The person entitled to decide, and the entity (agent, team, router) that asked.
    requester TEXT NOT NULL,
    responder TEXT NOT NULL,
    -- The event whose turn is paused on it (with responder, the turns table key), if any.
    source_event_id TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT,
    result TEXT,
    -- Reactions Quorum added to the card (JSON array of event ids).
    quorum_reactions TEXT NOT NULL DEFAULT '[]',
    -- The person's event (reaction or reply) that decided it.
    deciding_event_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX interactions_card ON interactions(card_event_id) WHERE card_event_id IS NOT NULL;
  CREATE INDEX interactions_pending ON interactions(expires_at) WHERE state = 'pending';
  CREATE INDEX interactions_turn ON interactions(responder, source_event_id);
  CREATE INDEX interactions_deciding ON interactions(deciding_event_id) WHERE deciding_event_id IS NOT NULL;
  `,
  `
  -- Schedules (!schedule, the scheduler tool): one row per schedule. Timing is either one instant
  -- (kind 'once', at_ms) or a cron expression read in the schedule's time zone (kind 'cron').
  -- next_due_at is the next due time while the schedule is active; the scheduler arms one timer
  -- for the smallest.
  CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    -- The thread the schedule was made in; NULL for the room timeline.
    thread_root TEXT,
    new_thread INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms INTEGER,
    cron TEXT,
    timezone TEXT NOT NULL,
    message TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Entity names the message mentions (JSON array); empty: the router decides who answers.
    mentions TEXT NOT NULL DEFAULT '[]',
    history_limit INTEGER,
    time_style TEXT NOT NULL DEFAULT '24h',
    -- How the request was understood: 'rules' (no model call) or 'model'.
    parsed_by TEXT NOT NULL DEFAULT 'rules',
    state TEXT NOT NULL,
    next_due_at INTEGER,
    fire_count INTEGER NOT NULL DEFAULT 0,
    last_due_at INTEGER,
    end_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX schedules_due ON schedules(next_due_at) WHERE state = 'active';
  CREATE INDEX schedules_room ON schedules(room_id, state);
  CREATE INDEX schedules_creator ON schedules(created_by, state);

  -- One row per (schedule, due time) the scheduler acted on, claimed in the same transaction that
  -- advances the schedule, before anything is delivered: the UNIQUE key makes a due time fire
  -- (or be reported as missed) at most once, and a claimed row not yet delivered is delivered
  -- again after a crash, under the same id.
  CREATE TABLE schedule_fires (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    -- 'fire' (an input for the pipeline) or a notice: 'missed', 'revoked', 'failed'.
    kind TEXT NOT NULL,
    -- 'claimed' until the sink accepted it, then 'delivered'; 'failed' when delivery gave up.
    state TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_at INTEGER NOT NULL,
    delivered_at INTEGER,
    UNIQUE (schedule_id, due_at)
  );
  CREATE INDEX schedule_fires_claimed ON schedule_fires(due_at) WHERE state = 'claimed';
  CREATE INDEX schedule_fires_claimed_at ON schedule_fires(claimed_at);
  `,
  `
  -- Issue 12: token usage per thread, for quorum.thread_token_budget.
  ALTER TABLE usage ADD COLUMN thread_root TEXT;
  CREATE INDEX usage_thread ON usage(room_id, thread_root) WHERE thread_root IS NOT NULL;
  `,
  `
  -- Memories agents keep (tools, extraction): one row each, in a scope (collection): an agent or
  -- team with one person, or an agent with one room. fts_scope is the collection as one FTS5
  -- token; vector is the float32 embedding (NULL until embedded), vector_model its model identity.
  CREATE TABLE memories (
    id INTEGER PRIMARY KEY,
    memory_id TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL,
    fts_scope TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    user_id TEXT,
    room_id TEXT,
    text TEXT NOT NULL,
    origin TEXT NOT NULL,
    source_room_id TEXT,
    source_thread_root TEXT,
    source_event_id TEXT,
    vector BLOB,
    vector_model TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX memories_collection ON memories(collection, updated_at);
  CREATE INDEX memories_user ON memories(user_id);
  CREATE INDEX memories_unembedded ON memories(id) WHERE vector IS NULL;
  CREATE VIRTUAL TABLE memories_fts USING fts5(
    text, fts_scope, content='memories', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, text, fts_scope) VALUES (new.id, new.text, new.fts_scope);
  END;
  CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, fts_scope)
      VALUES ('delete', old.id, old.text, old.fts_scope);
  END;
  CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, fts_scope ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, fts_scope)
      VALUES ('delete', old.id, old.text, old.fts_scope);
    INSERT INTO memories_fts(rowid, text, fts_scope) VALUES (new.id, new.text, new.fts_scope);
  END;

  -- Conversations waiting for automatic memory extraction once they go quiet.
  CREATE TABLE memory_extraction_queue (
    owner TEXT NOT NULL,
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    thread_root TEXT NOT NULL,
    last_activity_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner, user_id, room_id, thread_root)
  );
  CREATE INDEX memory_extraction_due ON memory_extraction_queue(last_activity_at);
  `,
  `
  -- Issue 15: the Matrix event a schedule fire was posted as, bound by dispatch when it first
  -- decides on one: the first event that carries the fire wins, so a fire posted twice (its
  -- transaction id forgotten by the homeserver) is still answered once.
  ALTER TABLE schedule_fires ADD COLUMN event_id TEXT;
  CREATE UNIQUE INDEX schedule_fires_event ON schedule_fires(event_id) WHERE event_id IS NOT NULL;
  `,
];
