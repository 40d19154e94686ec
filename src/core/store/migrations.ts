import type { Tx } from './sqlite';

/**
 * Versioned schema migrations. Each entry runs once, in order, inside the caller's transaction;
 * the applied version lives in PRAGMA user_version. Never edit a shipped migration: add one.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the board, the registry, mailboxes and the event log
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    requires TEXT NOT NULL DEFAULT '[]',
    parent_id TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    assignee TEXT,
    lease_token INTEGER,
    lease_expires_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    estimate_minutes INTEGER,
    deadline INTEGER,
    result_summary TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX tasks_ready ON tasks(status, priority DESC, created_at);
  CREATE INDEX tasks_assignee ON tasks(assignee);
  CREATE INDEX tasks_lease ON tasks(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
  CREATE INDEX tasks_parent ON tasks(parent_id);
  CREATE TABLE task_deps (
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on)
  );
  CREATE INDEX task_deps_rev ON task_deps(depends_on);
  CREATE TABLE task_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX task_history_task ON task_history(task_id);
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    capabilities TEXT NOT NULL DEFAULT '[]',
    driver TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    current_task TEXT,
    last_heartbeat INTEGER,
    status_reason TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    from_id TEXT NOT NULL,
    to_kind TEXT NOT NULL,
    to_id TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    body_type TEXT NOT NULL,
    priority TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    reply_to TEXT,
    requires_ack INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX messages_to ON messages(to_kind, to_id, created_at);
  CREATE INDEX messages_thread ON messages(thread_id);
  CREATE TABLE message_acks (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    acked_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, recipient)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL
  );
  `,
  // 2: the agent loop's recovery points and telemetry (src/core/loop/loopCommands.ts)
  `
  CREATE TABLE loop_checkpoints (
    agent_id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    token INTEGER NOT NULL,
    step TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE loop_telemetry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loop_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    task_id TEXT,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    duration_ms INTEGER,
    detail TEXT NOT NULL DEFAULT '{}',
    at INTEGER NOT NULL
  );
  CREATE INDEX loop_telemetry_agent ON loop_telemetry(agent_id, at);
  CREATE INDEX loop_telemetry_task ON loop_telemetry(task_id);
  CREATE INDEX loop_telemetry_loop ON loop_telemetry(loop_id);
  `,
  // 3: change proposals and their audit trail (src/core/proposals)
  `
  CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    task_id TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    agent_id TEXT,
    title TEXT NOT NULL,
    rationale TEXT NOT NULL,
    status TEXT NOT NULL,
    files TEXT NOT NULL,
    validation TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX proposals_status ON proposals(status, created_at);
  CREATE TABLE proposal_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id TEXT NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX proposal_audit_p ON proposal_audit(proposal_id);
  `,
  // 4: the ready queue index covers the full claim order (priority, age, id), so claims never sort
  `
  DROP INDEX tasks_ready;
  CREATE INDEX tasks_ready ON tasks(status, priority DESC, created_at, id);
  `,
  // 5: credentials handed to agents at spawn, scoped to one agent (and task); only hashes are kept
  `
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    task_id TEXT,
    label TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
  );
  CREATE INDEX credentials_agent ON credentials(agent_id);
  `,
  // 6: runs of agents on tasks: session, tokens and cost, and a bounded transcript (src/core/runs)
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL,
    run_no INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    session_id TEXT,
    resumed TEXT,
    status TEXT NOT NULL,
    error TEXT,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    cost_estimated INTEGER NOT NULL DEFAULT 0,
    tokens_final INTEGER NOT NULL DEFAULT 0,
    cost_final INTEGER NOT NULL DEFAULT 0,
    events TEXT NOT NULL DEFAULT '[]',
    dropped INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX runs_task ON runs(task_id, id);
  CREATE INDEX runs_agent ON runs(agent_id, id);
  `,
  // 7: a git worktree per task, branch proposals with revisions, and the merge queue (src/core/worktrees)
  `
  CREATE TABLE worktrees (
    task_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    branch TEXT NOT NULL UNIQUE,
    base_branch TEXT NOT NULL,
    base_commit TEXT NOT NULL,
    head_commit TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    port_base INTEGER,
    setup TEXT NOT NULL DEFAULT '{}',
    archive_ref TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX worktrees_status ON worktrees(status);
  ALTER TABLE proposals ADD COLUMN branch TEXT;
  ALTER TABLE proposals ADD COLUMN target_branch TEXT;
  ALTER TABLE proposals ADD COLUMN base_commit TEXT;
  ALTER TABLE proposals ADD COLUMN head_commit TEXT;
  ALTER TABLE proposals ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
  CREATE TABLE proposal_revisions (
    proposal_id TEXT NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    base_commit TEXT NOT NULL,
    head_commit TEXT NOT NULL,
    files TEXT NOT NULL,
    rationale TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, revision)
  );
  CREATE TABLE merge_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id TEXT NOT NULL,
    task_id TEXT,
    branch TEXT NOT NULL,
    target_branch TEXT NOT NULL,
    head_commit TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    holder TEXT,
    held_until INTEGER,
    landed_commit TEXT,
    enqueued_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX merge_queue_status ON merge_queue(status, id);
  `,
  // API-TOKENS: named tokens with scopes (read, agent, operator, admin) on the credentials table (src/core/auth/tokens.ts); an agent's run credential is scope 'agent'
  `
  CREATE TABLE credentials_scoped (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL DEFAULT 'agent',
    name TEXT,
    agent_id TEXT,
    task_id TEXT,
    label TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
  );
  INSERT INTO credentials_scoped (id, hash, scope, agent_id, task_id, label, created_by, created_at, expires_at, revoked_at)
    SELECT id, hash, 'agent', agent_id, task_id, label, created_by, created_at, expires_at, revoked_at FROM credentials;
  DROP TABLE credentials;
  ALTER TABLE credentials_scoped RENAME TO credentials;
  CREATE INDEX credentials_agent ON credentials(agent_id);
  CREATE UNIQUE INDEX credentials_live_name ON credentials(name) WHERE name IS NOT NULL AND revoked_at IS NULL;
  `,
  // (A second copy of API-TOKENS stood here: rebuilding the table again reset every token's scope to
  // 'agent' and dropped its name on a board that had run the first copy in an earlier step. The slot
  // stays, as a no-op, so that every board's schema version keeps its meaning.)
  `
  SELECT 1;
  `,
  // MESSAGE-TASK: the task a message is about (a question, a block, a budget stop), so Needs You offers that task's actions and drops the message once the task is settled
  `
  ALTER TABLE messages ADD COLUMN task_id TEXT;
  CREATE INDEX messages_task ON messages(task_id) WHERE task_id IS NOT NULL;
  `,
  // WEBHOOKS: outbound notifications (src/core/webhooks): each webhook's URL, kinds, format, signing secret and cursor; the delivery queue and its log of attempts
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'json',
    description TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    removed_at INTEGER
  );
  CREATE TABLE webhook_deliveries (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    next_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(status, url, n);
  CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, n);
  CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries(webhook_id, seq) WHERE seq IS NOT NULL;
  CREATE TABLE webhook_attempts (
    delivery_n INTEGER NOT NULL REFERENCES webhook_deliveries(n),
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    retry_at INTEGER,
    PRIMARY KEY (delivery_n, attempt)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
/** The schema version right after named tokens with scopes (API-TOKENS) were added. */
export const TOKENS_SCHEMA_VERSION = 8;

/** Brings the board's schema up to date (`upTo`: stop at that version — for tests of an upgrade from an older board). */
export function migrate(tx: Tx, upTo: number = MIGRATIONS.length): void {
  // sql.js resets per-connection pragmas on export(): callers re-run migrate() (cheap) after it.
  tx.run('PRAGMA foreign_keys = ON');
  const current = tx.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `This board was written by a newer Dream.OS (schema ${current}, this build knows ${MIGRATIONS.length}). Update the extension / CLI.`,
    );
  }
  for (let v = current; v < Math.min(upTo, MIGRATIONS.length); v++) {
    for (const stmt of splitStatements(MIGRATIONS[v]!)) tx.run(stmt);
    tx.run(`PRAGMA user_version = ${v + 1}`);
  }
}

function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
