/**
 * The ports of the loop: what a driver (something that carries out a task: a CLI agent, the
 * editor's language model, a chat window) must offer, and the few outside services the loop
 * needs (running checks, seeing which files changed). Implementations live in src/integrations
 * and src/extension; the loop only knows these shapes.
 */
import type { Task, TaskStatus } from '../board/boardModel';
import type { RunEvent } from '../runs/runModel';
import type { AgentConfig } from './agentsConfig';

export type DriverKind = AgentConfig['driver'];

/** One run of a driver on one task, under one lease. */
export interface AgentJob {
  readonly taskId: string;
  readonly agentId: string;
  readonly agentName: string;
  readonly leaseToken: number;
  readonly prompt: string;
  /** Absolute folder the task is done in. */
  readonly cwd: string;
  readonly workspaceRoot: string;
  readonly boardDir: string;
  /** 1 for the first run under this lease; reruns (restart, backoff) count up. */
  readonly run: number;
  readonly timeoutMs: number;
  readonly task: Task;
  readonly agent: AgentConfig;
  /**
   * The run's own board credential (scoped to this agent and task, revoked when the run ends): the
   * agent process gets this, never the person's hub token.
   */
  readonly credential?: string;
  /** The agent CLI's session to resume (a rerun of the same task): its id from an earlier run. */
  readonly resume?: string;
  /** Extra environment of the run: the task's worktree, branch and port block (DREAMOS_WORKTREE, DREAMOS_BRANCH, DREAMOS_PORT_BASE). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface DriverIo {
  /** Output the agent produced; feeds the agent's log and the stall / drift watch. */
  output(text: string, stream?: 'stdout' | 'stderr'): void;
  /** A line about the run itself ("spawned pid 42"), for the agent's log. */
  note(line: string): void;
  /** A driver that starts a process tells its id, so a restarted loop host can clean it up. */
  started?(pid: number): void;
  /**
   * For drivers that hand the task over and wait (chat windows): resolves with the task's status
   * once the agent has reported through the board (done, review, failed, blocked).
   */
  waitForReport(signal: AbortSignal): Promise<TaskStatus>;
  /** What the agent did, parsed from a CLI's machine-readable output (preset agents): activity and transcript. */
  event?(e: RunEvent): void;
}

export type OutcomeStatus =
  | 'exited' // a process ran to its end (exitCode / signal say how)
  | 'reported' // the agent reported through the board (reportedStatus)
  | 'timeout' // the job's time ran out and the driver stopped it
  | 'aborted' // the signal fired (stop, restart, lost lease) and the driver stopped
  | 'unavailable' // this driver cannot run here (no model, no automation); message says why
  | 'spawn-error'; // the tool could not be started (errno says why)

export interface DriverOutcome {
  status: OutcomeStatus;
  exitCode?: number | null;
  signal?: string | null;
  errno?: string;
  message?: string;
  reportedStatus?: TaskStatus;
  /** The end of the output, for evidence and for telling a person what happened. */
  tail: string;
  durationMs: number;
  /** A structured result the driver obtained itself (e.g. a language model's report tool). */
  result?: unknown;
  /** The CLI's session id (preset agents), for resuming it on a rerun. */
  sessionId?: string;
  /** The CLI's output could not be read to its end (malformed, truncated, no result): the run is not a success. */
  streamError?: string;
}

export interface AgentDriver {
  readonly kind: DriverKind;
  execute(job: AgentJob, signal: AbortSignal, io: DriverIo): Promise<DriverOutcome>;
  /** Best effort: stop a process a previous (crashed) loop host left running. */
  cleanup?(pid: number): void;
}

/** Builds the driver for a configured agent, or says why it cannot run here. */
export type DriverFactory = (agent: AgentConfig) => AgentDriver | { unavailable: string };

export interface CheckSpec {
  name: string;
  command: string;
  args: string[];
  timeoutMs: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  exitCode: number | null;
  tail: string;
  durationMs: number;
  error?: string;
}

/** Runs a configured check (tests, lint) after an agent's run. */
export interface CheckRunner {
  run(check: CheckSpec, cwd: string, signal: AbortSignal): Promise<CheckResult>;
}

/** A fingerprint of each uncommitted file (path relative to the workspace root -> content hash). */
export type WorkspaceSnapshot = Record<string, string>;

/** Which files a run changed. null when the folder is not under version control. */
export interface WorkspaceProbe {
  snapshot(root: string): Promise<WorkspaceSnapshot | null>;
}

export function changedSince(before: WorkspaceSnapshot | null, after: WorkspaceSnapshot | null): string[] | null {
  if (!after) return null;
  return Object.keys(after)
    .filter((f) => before?.[f] !== after[f])
    .concat(Object.keys(before ?? {}).filter((f) => !(f in after)))
    .sort();
}

/**
 * The desktop-automation fallback of chat-window agents (find the window, focus, paste, send).
 * It is a separate piece of work; until a build ships it, `notAvailableDesktop` answers.
 */
export type DesktopSendResult = { ok: true } | { ok: false; reason: string; code?: string; recalibrate?: boolean };
export interface DesktopAutomation {
  sendToWindow(windowTitle: string, text: string, signal: AbortSignal): Promise<DesktopSendResult>;
  /** Preferred when present: calibration (chat input position, window, fingerprint) is per agent. */
  sendToAgent?(agent: string, text: string, signal: AbortSignal): Promise<DesktopSendResult>;
}

export const notAvailableDesktop: DesktopAutomation = {
  sendToWindow: async () => ({
    ok: false,
    reason: 'Desktop automation (nut-js) is not available in this build, so Dream.OS cannot type into a chat window that has no editor command. Configure a command id for this editor in agents.json, or use a command or language-model agent.',
  }),
};
