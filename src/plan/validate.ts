/** Schema + DR rules → a plan or every problem with it, each naming where, which rule, and the fix. */
import type { z } from 'zod';
import { checkPlanRules, type PlanIssue, type TriggerLookup } from '../core/plan-rules';
import { type Plan, PlanSchema } from './schema';
import type { JsonLocation, JsonPath } from './json';

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
        issues.map((i) => formatIssue(i, source, locate)).join('\n'),
    );
  }
}

/** `workflows[2].primary.active` */
export function formatPath(path: readonly (string | number)[]): string {
  return (
    path.reduce<string>(
      (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
      '',
    ) || '(root)'
  );
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
          push(
            [...path, key],
            `unknown field "${key}"`,
            'remove it or check its spelling against schema/plan.schema.json',
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
}

/** Validates shape first; the DR rules only run on a plan whose shape is right (their input is typed). */
export function validatePlan(raw: unknown, triggersOf: TriggerLookup = () => undefined): ValidationResult {
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) return { issues: fromZod(parsed.error.issues, raw) };
  const issues = checkPlanRules(parsed.data, triggersOf);
  return issues.length ? { issues } : { plan: parsed.data, issues };
}
