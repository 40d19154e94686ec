/**
 * Each agent's log: `.dreamos/logs/<agent>.log`, what it printed and what the loop decided, capped
 * in size (the previous part is kept as `<agent>.log.1`). Logging never fails a run.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AgentLogSink } from '../../core/loop/swarm';

export const DEFAULT_LOG_CAP = 1024 * 1024;

export class AgentLogFile implements AgentLogSink {
  readonly file: string;
  private size: number;
  private atLineStart = true;

  constructor(dir: string, agentName: string, private readonly capBytes = DEFAULT_LOG_CAP) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${agentName.replace(/[^\w.-]/g, '_')}.log`);
    try {
      this.size = statSync(this.file).size;
    } catch {
      this.size = 0;
    }
  }

  private write(text: string): void {
    try {
      if (this.size + text.length > this.capBytes) {
        renameSync(this.file, `${this.file}.1`);
        this.size = 0;
      }
    } catch {
      this.size = 0;
    }
    try {
      appendFileSync(this.file, text);
      this.size += Buffer.byteLength(text);
    } catch {
      // a full disk or a removed folder must not stop the agent
    }
  }

  line(text: string): void {
    this.write(`${this.atLineStart ? '' : '\n'}[${new Date().toISOString()}] ${text}\n`);
    this.atLineStart = true;
  }

  output(text: string): void {
    this.write(text.length > this.capBytes / 4 ? text.slice(-Math.floor(this.capBytes / 4)) : text);
    this.atLineStart = text.endsWith('\n');
  }
}

/** One log per agent name, created on first use. */
export function agentLogs(dir: string, capBytes = DEFAULT_LOG_CAP): (agentName: string) => AgentLogFile {
  const logs = new Map<string, AgentLogFile>();
  return (name) => {
    let l = logs.get(name);
    if (!l) logs.set(name, (l = new AgentLogFile(dir, name, capBytes)));
    return l;
  };
}
