/** Schema + DR rules → a plan or every problem with it, each naming where, which rule, and the fix. */
import type { z } from 'zod';
import {
  checkPlanParts,
  formatPath,
  type PlanIssue,
  type PlanParts,
  type TriggerLookup,
} from '../core/plan-rules';
import {
  HealthCheckSchema,
  NotificationsSchema,
  type Plan,
  planJsonSchema,
  PlanSchema,
  PolicySchema,
  RegionSchema,
  WorkflowEntrySchema,
} from './schema';
import {
  DEPTH_FIX,
  didYouMean,
  fieldsAt,
  type JsonLocation,
  type JsonPath,
  PLAN_MAX_DEPTH,
  RESERVED_KEY_FIX,
  RESERVED_KEYS,
  reservedKeyProblem,
} from './json';

export type { PlanIssue };

export class PlanError extends Error {
  override name = 'PlanError';
  constructor(
    readonly source: string,
    readonly issues: PlanIssue[],
    locate?: (path: JsonPath) => JsonLocation | undefined,
  ) {
    super(
      `${source}: the plan is not valid (${issues.length} problem${issues.length === 1 ? '' : 's'}); nothing was loaded\n` +
        inDocumentOrder(issues, locate)
          .map((i) => formatIssue(i, source, locate))
          .join('\n'),
    );
  }
}

/** Schema and rule findings interleaved by file position, so each reads next to its neighbours. */
function inDocumentOrder(
  issues: PlanIssue[],
  locate?: (path: JsonPath) => JsonLocation | undefined,
): PlanIssue[] {
  if (!locate) return issues;
  const at = issues.map((issue, i) => ({ issue, i, loc: locate(issue.path) }));
  return at
    .sort(
      (a, b) =>
        (a.loc?.line ?? 0) - (b.loc?.line ?? 0) || (a.loc?.column ?? 0) - (b.loc?.column ?? 0) || a.i - b.i,
    )
    .map((x) => x.issue);
}

export function formatIssue(
  issue: PlanIssue,
  source: string,
  locate?: (path: JsonPath) => JsonLocation | undefined,
): string {
  const at = locate?.(issue.path);
  const where = at ? `${source}:${at.line}:${at.column}` : source;
  return `  - ${where} ${formatPath(issue.path)} [${issue.rule}]: ${issue.message}\n      fix: ${issue.fix}`;
}

/** Warnings as the CLI prints them on stderr: a count that stands out, then each like a plan problem. */
export function formatWarnings(
  warnings: readonly PlanIssue[],
  source: string,
  locate?: (path: JsonPath) => JsonLocation | undefined,
): string {
  return `WARNING: ${warnings.length} warning(s) about ${source} (it loads, but read these):\n${warnings
    .map((w) => formatIssue(w, source, locate))
    .join('\n')}`;
}

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function entryName(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'workflows' || typeof path[1] !== 'number') return undefined;
  const name = valueAt(raw, ['workflows', path[1], 'name']);
  return typeof name === 'string' ? name : undefined;
}

let schemaCache: Record<string, unknown> | undefined;
/** The published JSON Schema, the list of field names suggestions are drawn from. */
const publishedSchema = () => (schemaCache ??= planJsonSchema());

/** Turns zod's issues into plan issues; for unions, reports the branch that came closest. */
function fromZod(issues: readonly z.core.$ZodIssue[], raw: unknown): PlanIssue[] {
  const out: PlanIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const entry = entryName(raw, path);
    const prefix = entry ? `workflow "${entry}": ` : '';
    const push = (p: (string | number)[], message: string, fix: string, rule = 'schema') =>
      out.push({ path: p, ...(entry ? { entry } : {}), rule, message: prefix + message, fix });

    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const meant = didYouMean(key, fieldsAt(publishedSchema(), path));
          push(
            [...path, key],
            `unknown field "${key}"${meant ? `; did you mean "${meant}"?` : ''}`,
            meant
              ? `rename it to "${meant}"`
              : 'remove it or check its spelling against schema/plan.schema.json',
            'unknown-field',
          );
        }
        break;
      case 'invalid_type': {
        const got = valueAt(raw, path);
        if (got === undefined)
          push(
            path,
            `${formatPath(path)} is required`,
            `add ${formatPath(path)} (${issue.expected})`,
            'required',
          );
        else
          push(
            path,
            `expected ${issue.expected}, got ${kindOf(got)}`,
            `make ${formatPath(path)} a ${issue.expected}`,
          );
        break;
      }
      case 'invalid_union': {
        // Prefer a branch that got past the union's own type check: its errors are the useful ones.
        const branches = issue.errors.filter(
          (errs) => !errs.every((e) => e.code === 'invalid_type' && e.path.length === 0),
        );
        if (branches.length > 0) {
          const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
          out.push(
            ...fromZod(
              best.map((e) => ({ ...e, path: [...issue.path, ...e.path] })),
              raw,
            ),
          );
        } else {
          push(
            path,
            `${formatPath(path)} has the wrong type (${kindOf(valueAt(raw, path))})`,
            'see schema/plan.schema.json for the accepted forms',
          );
        }
        break;
      }
      case 'invalid_value':
        push(
          path,
          `${JSON.stringify(valueAt(raw, path))} is not allowed`,
          `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        );
        break;
      case 'too_big':
        push(path, issue.message, `use at most ${String(issue.maximum)}`);
        break;
      case 'too_small':
        push(
          path,
          issue.message.replace(/^Too small: /, ''),
          `see ${formatPath(path)} in schema/plan.schema.json`,
        );
        break;
      default:
        push(path, issue.message, `correct ${formatPath(path)}`);
    }
  }
  return out;
}

export interface ValidationResult {
  plan?: Plan;
  issues: PlanIssue[];
  /** Findings that do not stop the plan loading (e.g. a side whose region only ARM can tell). */
  warnings: PlanIssue[];
}

/** The value `schema` accepts, or undefined (its errors come from the whole-plan parse, with full paths). */
function part<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  value: unknown,
) {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/**
 * Every problem at once: the schema's, and the DR rules' on every part of the plan that parsed (each workflow
 * entry, the policy, the regions, the health check, the notifications), so one typo does not hide the rest.
 */
export function validatePlan(raw: unknown, triggersOf: TriggerLookup = () => undefined): ValidationResult {
  // Values from JSON.parse (or code) never went through the plan reader's refusals: repeat them here.
  const unsafe = unsafeShapeIssues(raw);
  if (unsafe.length) return { issues: unsafe, warnings: [] };
  const parsed = PlanSchema.safeParse(raw);
  if (parsed.success) {
    const { issues, warnings } = checkPlanParts(parsed.data, triggersOf);
    return issues.length ? { issues, warnings } : { plan: parsed.data, issues, warnings };
  }
  const schemaIssues = fromZod(parsed.error.issues, raw);
  const doc =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const parts: PlanParts = {
    primary: part(RegionSchema, doc.primary),
    secondary: part(RegionSchema, doc.secondary),
    healthCheck: part(HealthCheckSchema, doc.healthCheck),
    policy: part(PolicySchema, doc.policy),
    notifications: part(NotificationsSchema, doc.notifications),
    workflows: Array.isArray(doc.workflows) ? doc.workflows.map((w) => part(WorkflowEntrySchema, w)) : [],
  };
  const { issues, warnings } = checkPlanParts(parts, triggersOf);
  return { issues: [...schemaIssues, ...issues], warnings };
}

/**
 * What the plan reader refuses, for values that did not come through it: reserved keys (JSON.parse keeps
 * `"__proto__"` as an own key), objects whose prototype was replaced, and nesting deeper than a plan needs.
 * Iterative, so no input can exhaust the stack.
 */
function unsafeShapeIssues(raw: unknown): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: raw, path: [] }];
  while (stack.length && issues.length < 20) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= PLAN_MAX_DEPTH) {
      issues.push({
        path: path.slice(0, 3),
        rule: 'json-depth',
        message: `objects and arrays are nested deeper than ${PLAN_MAX_DEPTH} levels`,
        fix: DEPTH_FIX,
      });
      continue;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      issues.push({
        path,
        rule: 'reserved-key',
        message: `${formatPath(path)} inherits fields from a replaced prototype, which no check would see`,
        fix: 'build the plan from plain JSON objects',
      });
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: [...path, i] }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.includes(key)) {
        issues.push({
          path: [...path, key],
          rule: 'reserved-key',
          message: reservedKeyProblem(key),
          fix: RESERVED_KEY_FIX,
        });
      } else stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return issues;
}
