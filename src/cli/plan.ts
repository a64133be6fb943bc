/** Which plan a CLI command works on: PLAN, else DR_PLAN_PATH or DR_PLAN, else the plan a demo runs. */
import { dirname, resolve } from 'node:path';
import { loadPlan, parsePlan, planSourceFromSettings, type LoadedPlan } from '../plan/load';
import { PlanError } from '../plan/validate';
import type { DemoPlan } from './arm';
import { UsageError, type CliIo } from './io';

export const NO_PLAN = 'no plan: pass a PLAN path or set DR_PLAN_PATH (or DR_PLAN to the plan JSON)';

/**
 * The plan to load. With a demo's simulator (`--sim`), no PLAN or the file the demo started from means the
 * plan the demo runs, whose cadences differ from the file's: said on stderr, so nobody mistakes one for the
 * other.
 */
export function commandPlan(path: string | undefined, io: CliIo, demo?: DemoPlan): LoadedPlan {
  if (demo && (path === undefined || resolve(path) === demo.file)) {
    io.err(
      `using the plan the demo runs: ${demo.file}${demo.notes.length ? ` with ${demo.notes.join('; ')}` : ''}`,
    );
    return parsePlan(demo.text, `${demo.file} (as npm start runs it)`, dirname(demo.file));
  }
  if (path) return loadPlan({ kind: 'file', path });
  let source;
  try {
    source = planSourceFromSettings(io.env);
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(NO_PLAN);
    throw err;
  }
  return loadPlan(source);
}
