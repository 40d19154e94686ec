/**
 * The swarm's say over claims: the cap on agents working at once, and the machine-pressure watch
 * (CPU load per core, free memory) that holds back new claims while the machine is busy.
 */
import os from 'node:os';
import type { SwarmConfig } from './agentsConfig';
import { sleep, Waker } from './lease';
import type { ClaimGate } from './loop';

export interface PressureReading {
  ok: boolean;
  reason: string;
  loadPerCpu: number;
  freeMemMb: number;
}
export type PressureGauge = () => PressureReading;

/** Reads os.loadavg() and os.freemem() against the configured limits. */
export function systemGauge(limits: SwarmConfig['pressure']): PressureGauge {
  const cpus = Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  return () => {
    const loadPerCpu = os.loadavg()[0]! / cpus;
    const freeMemMb = Math.round(os.freemem() / 1_048_576);
    if (loadPerCpu > limits.maxLoadPerCpu) return { ok: false, reason: `holding back new tasks: CPU load ${loadPerCpu.toFixed(2)} per core is above ${limits.maxLoadPerCpu}`, loadPerCpu, freeMemMb };
    if (freeMemMb < limits.minFreeMemMb) return { ok: false, reason: `holding back new tasks: ${freeMemMb} MB free memory is below ${limits.minFreeMemMb} MB`, loadPerCpu, freeMemMb };
    return { ok: true, reason: '', loadPerCpu, freeMemMb };
  };
}

/** The cap on agents working at once, and the pressure watch, in front of every claim. */
export class SwarmGate implements ClaimGate {
  active = 0;
  /** Only agents waiting for a slot wake on a release (idle agents wake on board events). */
  private readonly slots = new Waker();
  constructor(
    private readonly max: number,
    private readonly gauge: PressureGauge,
    private readonly checkMs = 1_000,
  ) {}

  async acquire(_agent: string, signal: AbortSignal, onHeld: (reason: string) => void, opts: { urgent?: boolean } = {}): Promise<(() => void) | null> {
    for (;;) {
      if (signal.aborted) return null;
      if (!opts.urgent) {
        if (this.active >= this.max) {
          onHeld(`waiting for a free slot: ${this.active} of ${this.max} agents are working`);
          await this.slots.wait(this.checkMs, signal);
          continue;
        }
        const p = this.gauge();
        if (!p.ok) {
          onHeld(p.reason);
          await sleep(this.checkMs, signal);
          continue;
        }
      }
      this.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.active--;
        this.slots.wake();
      };
    }
  }
}
