/** What a benchmark ran on, printed with every result so figures can be compared fairly. */
import { cpus, loadavg, totalmem } from 'node:os';

/** Node version, CPUs, memory and load (the machine may be shared) at the time of the call. */
export interface MachineContext {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpu_model: string;
  readonly total_mem_mb: number;
  /** 1, 5 and 15 minute load averages: a busy machine inflates every figure. */
  readonly loadavg: readonly number[];
}

/** Reads the machine context now. */
export function machineContext(): MachineContext {
  const list = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? 'unknown',
    total_mem_mb: Math.round(totalmem() / 2 ** 20),
    loadavg: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
