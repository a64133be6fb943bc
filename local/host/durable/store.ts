/**
 * Where orchestration instances live: in memory (default), or one JSON file per instance in a directory so a
 * new host over the same directory picks up every history and carries on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreCorruptError } from '../errors';
import type { StoredEvent } from './history';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated';

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text of the current execution's input. */
  input: string | undefined;
  /** JSON text of the output (for Failed / Terminated: the error message or reason). */
  output: string | undefined;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  parent: { instanceId: string; taskScheduledId: number } | undefined;
  /** History of the current execution (ContinueAsNew starts a new one). */
  history: StoredEvent[];
  /** Events delivered but not yet given to the orchestrator. */
  inbox: StoredEvent[];
  /** Normalised actions the orchestrator produced so far in this execution (replay must reproduce them). */
  actionLog: string[];
  failure: { errorType: string; errorMessage: string } | undefined;
  /** Events ever appended to this instance's histories, across executions. */
  historyEventsAppended: number;
  executions: number;
}

export interface InstanceStore {
  load(instanceId: string): InstanceRecord | undefined;
  save(record: InstanceRecord): void;
  delete(instanceId: string): boolean;
  list(): InstanceRecord[];
  /** Small named documents next to the instances (timer trigger schedule status). */
  readDocument(name: string): unknown;
  writeDocument(name: string, value: unknown): void;
}

export class MemoryStore implements InstanceStore {
  #records = new Map<string, InstanceRecord>();
  #docs = new Map<string, string>();

  load(instanceId: string): InstanceRecord | undefined {
    const rec = this.#records.get(instanceId);
    return rec ? structuredClone(rec) : undefined;
  }
  save(record: InstanceRecord): void {
    this.#records.set(record.instanceId, structuredClone(record));
  }
  delete(instanceId: string): boolean {
    return this.#records.delete(instanceId);
  }
  list(): InstanceRecord[] {
    return [...this.#records.values()].map((r) => structuredClone(r));
  }
  readDocument(name: string): unknown {
    const text = this.#docs.get(name);
    return text === undefined ? undefined : JSON.parse(text);
  }
  writeDocument(name: string, value: unknown): void {
    this.#docs.set(name, JSON.stringify(value));
  }
}

export class FileStore implements InstanceStore {
  readonly #instancesDir: string;
  readonly #docsDir: string;

  constructor(dir: string) {
    this.#instancesDir = path.join(dir, 'instances');
    this.#docsDir = path.join(dir, 'documents');
    fs.mkdirSync(this.#instancesDir, { recursive: true });
    fs.mkdirSync(this.#docsDir, { recursive: true });
  }

  #file(instanceId: string): string {
    return path.join(this.#instancesDir, `${encodeURIComponent(instanceId)}.json`);
  }

  load(instanceId: string): InstanceRecord | undefined {
    const file = this.#file(instanceId);
    if (!fs.existsSync(file)) return undefined;
    return readRecord(file);
  }
  save(record: InstanceRecord): void {
    writeAtomically(this.#file(record.instanceId), JSON.stringify(record));
  }
  delete(instanceId: string): boolean {
    const file = this.#file(instanceId);
    if (!fs.existsSync(file)) return false;
    fs.rmSync(file);
    return true;
  }
  list(): InstanceRecord[] {
    return fs
      .readdirSync(this.#instancesDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readRecord(path.join(this.#instancesDir, f)));
  }
  readDocument(name: string): unknown {
    const file = path.join(this.#docsDir, `${encodeURIComponent(name)}.json`);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  writeDocument(name: string, value: unknown): void {
    writeAtomically(path.join(this.#docsDir, `${encodeURIComponent(name)}.json`), JSON.stringify(value));
  }
}

// Write-then-rename: a crash leaves the old file or the new one, never half of one.
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function readRecord(file: string): InstanceRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StoreCorruptError(`Instance file '${file}' is not JSON: ${(err as Error).message}`);
  }
  const rec = parsed as Partial<InstanceRecord>;
  if (
    typeof rec.instanceId !== 'string' ||
    typeof rec.name !== 'string' ||
    !Array.isArray(rec.history) ||
    !Array.isArray(rec.inbox)
  ) {
    throw new StoreCorruptError(`Instance file '${file}' lacks instanceId, name, history or inbox`);
  }
  return parsed as InstanceRecord;
}

/**
 * A store that can stop persisting at an instant, as if the process had been killed there: what a host does
 * after `freeze()` stays in its memory only, and a new host over the same backing store resumes from before.
 */
export class FreezableStore implements InstanceStore {
  #frozen = false;
  constructor(private readonly inner: InstanceStore) {}

  freeze(): void {
    this.#frozen = true;
  }
  load(instanceId: string): InstanceRecord | undefined {
    return this.inner.load(instanceId);
  }
  save(record: InstanceRecord): void {
    if (!this.#frozen) this.inner.save(record);
  }
  delete(instanceId: string): boolean {
    return this.#frozen ? false : this.inner.delete(instanceId);
  }
  list(): InstanceRecord[] {
    return this.inner.list();
  }
  readDocument(name: string): unknown {
    return this.inner.readDocument(name);
  }
  writeDocument(name: string, value: unknown): void {
    if (!this.#frozen) this.inner.writeDocument(name, value);
  }
}
