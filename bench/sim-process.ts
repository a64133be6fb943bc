/** The ARM simulator in a child process, driven over IPC: same operations as `ArmSimulator`, asynchronous. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RegionFaultInput, RequestLogEntry, SimSeed, ThrottleLimits } from '../local/sim/arm';

export interface SimStartOptions {
  /** Initial virtual time (ISO). */
  now: string;
  seed: SimSeed;
  latencyMs?: number;
}

export type SimCommand =
  | { cmd: 'start'; options: SimStartOptions }
  | { cmd: 'advanceTo'; at: string }
  | { cmd: 'outage'; location: string; fault: RegionFaultInput }
  | { cmd: 'restore'; location: string }
  | { cmd: 'setLatency'; ms: number }
  | { cmd: 'configureThrottle'; limits: Partial<ThrottleLimits> }
  | { cmd: 'requestLog' }
  | { cmd: 'clearRequestLog' }
  | { cmd: 'workflows' }
  | { cmd: 'stop' };

export type SimReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface SimWorkflowState {
  name: string;
  region: string;
  state: string;
}

export class SimProcessError extends Error {
  override name = 'SimProcessError';
}

const CHILD = join(__dirname, 'sim-child.ts');

export class RemoteArmSimulator {
  private seq = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited = false;

  private info: { armEndpoint: string; caCertPem: string } | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.listen();
  }

  /** `https://127.0.0.1:<port>` of the simulated ARM. */
  get armEndpoint(): string {
    return this.started().armEndpoint;
  }

  /** PEM of the CA that signed the simulator's certificates. */
  get caCertPem(): string {
    return this.started().caCertPem;
  }

  private started(): { armEndpoint: string; caCertPem: string } {
    if (!this.info) throw new SimProcessError('the ARM simulator child has not started');
    return this.info;
  }

  /** Forks the child (through tsx, like the benchmark itself) and seeds it. */
  static async start(options: SimStartOptions): Promise<RemoteArmSimulator> {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const remote = new RemoteArmSimulator(child);
    try {
      remote.info = (await remote.send({ cmd: 'start', options })) as typeof remote.info;
    } catch (error) {
      child.kill();
      throw error;
    }
    return remote;
  }

  private listen(): void {
    this.child.on('message', (reply: SimReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new SimProcessError(`ARM simulator child failed: ${reply.error}`));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values())
        waiter.reject(new SimProcessError(`ARM simulator child exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  private send(command: SimCommand): Promise<unknown> {
    if (this.exited)
      return Promise.reject(new SimProcessError(`ARM simulator child is gone ('${command.cmd}')`));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, command }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(
          new SimProcessError(`could not send '${command.cmd}' to the ARM simulator child: ${error.message}`),
        );
      });
    });
  }

  async advanceTo(at: Date): Promise<void> {
    await this.send({ cmd: 'advanceTo', at: at.toISOString() });
  }
  async outage(location: string, fault: RegionFaultInput): Promise<void> {
    await this.send({ cmd: 'outage', location, fault });
  }
  async restore(location: string): Promise<void> {
    await this.send({ cmd: 'restore', location });
  }
  async setLatency(ms: number): Promise<void> {
    await this.send({ cmd: 'setLatency', ms });
  }
  /** Replaces limits and refills every bucket (a fresh subscription budget). */
  async configureThrottle(limits: Partial<ThrottleLimits> = {}): Promise<void> {
    await this.send({ cmd: 'configureThrottle', limits });
  }
  async requestLog(): Promise<RequestLogEntry[]> {
    return (await this.send({ cmd: 'requestLog' })) as RequestLogEntry[];
  }
  async clearRequestLog(): Promise<void> {
    await this.send({ cmd: 'clearRequestLog' });
  }
  async workflows(): Promise<SimWorkflowState[]> {
    return (await this.send({ cmd: 'workflows' })) as SimWorkflowState[];
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.send({ cmd: 'stop' });
    } finally {
      this.child.disconnect();
      await exited;
    }
  }
}
