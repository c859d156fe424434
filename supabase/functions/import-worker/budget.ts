import process from "node:process";

/** CPU time of this process in milliseconds (user + system). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Resident memory of this process in bytes. */
export function rssBytes(): number {
  return Deno.memoryUsage().rss;
}

/** JS heap in use, in bytes. */
export function heapBytes(): number {
  return Deno.memoryUsage().heapUsed;
}

/**
 * The resources one invocation may spend. Hosted allows 2 s of CPU per request and 150–400 s of
 * wall clock; we aim at half the CPU and a fraction of the wall clock so a step in flight always
 * ends in time.
 */
export class Budget {
  readonly cpuLimitMs: number;
  readonly wallLimitMs: number;
  private readonly cpu0: number;
  private readonly wall0: number;
  private readonly cpuNow: () => number;
  private readonly wallNow: () => number;

  constructor(
    cpuLimitMs: number,
    wallLimitMs: number,
    clocks: { cpu?: () => number; wall?: () => number } = {},
  ) {
    this.cpuLimitMs = cpuLimitMs;
    this.wallLimitMs = wallLimitMs;
    this.cpuNow = clocks.cpu ?? cpuMs;
    this.wallNow = clocks.wall ?? (() => performance.now());
    this.cpu0 = this.cpuNow();
    this.wall0 = this.wallNow();
  }

  /** CPU milliseconds spent since the budget started. */
  cpuUsed(): number {
    return this.cpuNow() - this.cpu0;
  }

  /** Wall milliseconds since the budget started. */
  wallUsed(): number {
    return this.wallNow() - this.wall0;
  }

  /** True once either limit is reached: the current step should save its progress and stop. */
  exhausted(): boolean {
    return this.cpuUsed() >= this.cpuLimitMs || this.wallUsed() >= this.wallLimitMs;
  }

  /**
   * True when another piece of work costing about `cpuMs` (e.g. what the last batch cost) still
   * fits in the budget: steps stop *before* overshooting rather than after.
   */
  fits(cpuMs: number): boolean {
    return this.cpuUsed() + cpuMs <= this.cpuLimitMs && this.wallUsed() < this.wallLimitMs;
  }

  /** True while less than `fraction` of both limits is used (room to start another task). */
  roomFor(fraction: number): boolean {
    return this.cpuUsed() < this.cpuLimitMs * fraction && this.wallUsed() < this.wallLimitMs * fraction;
  }
}
