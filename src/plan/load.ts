/**
 * Loading a plan from where the user keeps it: a file (CLI argument or DR_PLAN_PATH) or inline JSON (DR_PLAN).
 * All or nothing: either a fully checked plan comes back or a PlanError lists every problem.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ClassificationInputError, classifyDocument } from '../core/classify';
import type { EntryTriggers } from '../core/plan-rules';
import {
  DEFINITION_READ,
  DEPTH_FIX,
  JsonSyntaxError,
  type JsonLocation,
  type JsonPath,
  type JsonProblem,
  parseJsonWithLocations,
  type ParsedJson,
  RESERVED_KEY_FIX,
} from './json';
import type { Plan, WorkflowEntry } from './schema';
import { PlanError, validatePlan, type PlanIssue } from './validate';

export type PlanSource = { kind: 'file'; path: string } | { kind: 'inline'; text: string; name: string };

export interface LoadedPlan {
  plan: Plan;
  /** A file path or `app setting DR_PLAN`, for messages. */
  source: string;
  /** Triggers known offline per entry name (declared or classified from `definition`). */
  triggers: Map<string, EntryTriggers>;
  /** Not errors, but worth telling the operator (triggers left for live classification, sides only ARM can place). */
  warnings: PlanIssue[];
  /** Line and column of a JSON path in the plan text, so warnings can point where errors do. */
  locate?: (path: JsonPath) => JsonLocation | undefined;
}

/**
 * DR_PLAN_PATH wins over DR_PLAN; one of the two must be set. A relative DR_PLAN_PATH is resolved against
 * `baseDir` when given (the app root in Azure, where the package carries the plan), else the current directory.
 */
export function planSourceFromSettings(
  settings: Readonly<Record<string, string | undefined>>,
  baseDir?: string,
): PlanSource {
  const path = settings.DR_PLAN_PATH?.trim();
  if (path) return { kind: 'file', path: baseDir && !isAbsolute(path) ? resolve(baseDir, path) : path };
  const text = settings.DR_PLAN?.trim();
  if (text) return { kind: 'inline', text, name: 'app setting DR_PLAN' };
  throw new PlanError('settings', [
    {
      path: [],
      rule: 'plan-missing',
      message: 'no failover plan configured',
      fix: 'set the app setting DR_PLAN_PATH to a plan file, or DR_PLAN to the plan JSON',
    },
  ]);
}

/** A failed file-system call (ENOENT, EACCES, EISDIR...): what a read of a named file may expect. */
export const isFileError = (err: unknown): err is NodeJS.ErrnoException & { code: string } =>
  err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';

export function loadPlan(source: PlanSource): LoadedPlan {
  if (source.kind === 'inline') return parsePlan(source.text, source.name, process.cwd());
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (err) {
    if (!isFileError(err)) throw err;
    throw new PlanError(source.path, [
      {
        path: [],
        rule: 'plan-unreadable',
        message: err.code === 'ENOENT' ? 'plan file not found' : `plan file cannot be read (${err.code})`,
        fix: 'check the path (relative paths are resolved from the current directory)',
      },
    ]);
  }
  return parsePlan(text, source.path, dirname(resolve(source.path)));
}

/** Parses and checks plan text; `baseDir` resolves each entry's `definition` path. */
export function parsePlan(text: string, sourceName: string, baseDir: string): LoadedPlan {
  let doc: ParsedJson;
  try {
    doc = parseJsonWithLocations(text, sourceName);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new PlanError(sourceName, [jsonIssue(err)]);
    throw err;
  }

  const triggers = new Map<string, EntryTriggers>();
  const definitionIssues: PlanIssue[] = [];
  // Several rules ask for an entry's triggers: its definition is read, and an unreadable one reported, once.
  const asked = new Map<number, EntryTriggers | undefined>();
  const triggersOf = (entry: WorkflowEntry, index: number): EntryTriggers | undefined => {
    if (asked.has(index)) return asked.get(index);
    const known = entryTriggers(entry, index, baseDir, definitionIssues);
    asked.set(index, known);
    if (known) triggers.set(entry.name, known);
    return known;
  };

  const { plan, issues, warnings } = validatePlan(doc.value, triggersOf);
  const all = [...definitionIssues, ...issues];
  if (!plan || all.length) throw new PlanError(sourceName, all, (p) => doc.locate(p));
  return { plan, source: sourceName, triggers, warnings, locate: (p) => doc.locate(p) };
}

const JSON_FIXES: Record<JsonProblem, { rule: string; fix: string }> = {
  syntax: { rule: 'json-syntax', fix: 'correct the JSON at that position' },
  'too-deep': { rule: 'json-depth', fix: DEPTH_FIX },
  'reserved-key': { rule: 'reserved-key', fix: RESERVED_KEY_FIX },
};

function jsonIssue(err: JsonSyntaxError): PlanIssue {
  const { rule, fix } = JSON_FIXES[err.problem];
  const what = err.problem === 'syntax' ? 'malformed' : 'refused';
  return {
    path: [...err.path],
    rule,
    message: `${what} JSON at line ${err.line}, column ${err.column}: ${err.detail}`,
    fix,
  };
}

function entryTriggers(
  entry: WorkflowEntry,
  index: number,
  baseDir: string,
  issues: PlanIssue[],
): EntryTriggers | undefined {
  if (entry.definition === undefined) {
    return entry.trigger === undefined
      ? undefined
      : { source: 'declared', triggers: [{ kind: entry.trigger, stateSide: entry.stateSide }] };
  }
  const file = resolve(baseDir, entry.definition);
  const path = ['workflows', index, 'definition'];
  const fail = (message: string, fix: string): undefined => {
    issues.push({
      path,
      entry: entry.name,
      rule: 'definition-unreadable',
      message: `workflow "${entry.name}": ${message}`,
      fix,
    });
    return undefined;
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!isFileError(err)) throw err;
    return fail(`definition file ${file} cannot be read`, 'check the path; it is relative to the plan file');
  }
  let classified;
  try {
    classified = classifyDocument(parseJsonWithLocations(text, file, DEFINITION_READ).value, file);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError || err instanceof ClassificationInputError)) throw err;
    return fail(
      err.message,
      'point "definition" at a workflow definition, ARM resource, ARM template or workflow.json',
    );
  }
  if (classified.length !== 1) {
    return fail(
      `${file} holds ${classified.length} workflows; which one this entry is cannot be told`,
      'point "definition" at a file with exactly one workflow',
    );
  }
  return { source: 'definition', from: entry.definition, triggers: classified[0]!.triggers };
}
