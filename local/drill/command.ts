/**
 * `npm run drill [-- --url API --sim SIM --sim-key KEY --key KEY --out DIR --fault JSON --stop-on-failure
 * --skip-break-glass]`.
 * Without --url it starts its own embedded estate on free ports (as `npm start` would) and stops it after.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Plan } from '../../src/plan/schema';
import { startEmbeddedEstate, type EmbeddedEstate } from '../start/embedded';
import { DEFAULT_LOCAL_CADENCE } from '../start/local-plan';
import { formatLogLine } from '../start/live-log';
import { LOCAL_FUNCTION_KEY } from '../start/settings';
import { ApiClient, SimClient } from './client';
import { exitCodeOf, runDrill, type DrillReport } from './drill';
import { drillReportMarkdown } from './report';

export class DrillUsageError extends Error {
  override readonly name = 'DrillUsageError';
}

export interface DrillCommandContext {
  /** Project folder: examples/plan.json and functions/ for the embedded estate. */
  rootDir: string;
  /** Where report.md / report.json (and estate.log) go; default `<rootDir>/.drill`. */
  outDir?: string;
  print?: (line: string) => void;
  /** DR_SIM_KEY: the simulator control API's key when --url is given and --sim-key is not. */
  simKey?: string;
  /** Test hook: runs once the embedded estate is up, before the drill starts. */
  beforeDrill?: (estate: EmbeddedEstate) => Promise<void>;
}

export interface DrillCommandResult {
  exitCode: number;
  report?: DrillReport;
  reportFiles?: { markdown: string; json: string };
}

const USAGE =
  'usage: npm run drill [-- --url http://127.0.0.1:7071/api --sim http://127.0.0.1:7072/sim --sim-key SIM_KEY --key KEY] [--out DIR] [--fault \'{"kind":"down"}\'] [--stop-on-failure] [--skip-break-glass]';

/** A split-slot phase that puts the next slot boundary ~20 s ahead, so the failback does not wait a minute. */
export function drillSplitAnchor(now: number, everyMs = 60_000, aheadMs = 20_000): string {
  const anchor = Math.floor((now + aheadMs) / 1000) * 1000 - everyMs;
  return new Date(anchor).toISOString().replace('.000Z', 'Z');
}

export async function drillCommand(
  argv: string[],
  context: DrillCommandContext,
): Promise<DrillCommandResult> {
  const print = context.print ?? ((line: string) => console.log(line));
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        sim: { type: 'string' },
        'sim-key': { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string' },
        fault: { type: 'string' },
        'stop-on-failure': { type: 'boolean' },
        'skip-break-glass': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    print(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return { exitCode: 2 };
  }
  if (args.help) {
    print(USAGE);
    return { exitCode: 0 };
  }
  let fault: Record<string, unknown> = { kind: 'down' };
  if (args.fault !== undefined) {
    try {
      fault = JSON.parse(args.fault) as Record<string, unknown>;
    } catch {
      print(`--fault is not JSON: ${args.fault}\n${USAGE}`);
      return { exitCode: 2 };
    }
  }
  const outDir = args.out ?? context.outDir ?? join(context.rootDir, '.drill');
  mkdirSync(outDir, { recursive: true });

  let estate: EmbeddedEstate | undefined;
  let storeDir: string | undefined;
  const estateLog = args.url ? undefined : createWriteStream(join(outDir, 'estate.log'));
  try {
    let api: ApiClient;
    let sim: SimClient;
    let plan: Plan;
    if (args.url) {
      const simKey = args['sim-key'] ?? context.simKey;
      if (!simKey)
        throw new DrillUsageError(
          'the simulator needs its key: --sim-key (npm start prints it as sim-key=) or DR_SIM_KEY',
        );
      sim = new SimClient((args.sim ?? 'http://127.0.0.1:7072/sim').replace(/\/+$/, ''), simKey);
      const info = await sim.info();
      if (!info.plan)
        throw new DrillUsageError(`${sim.baseUrl}/info has no plan: is this the npm start simulator?`);
      plan = info.plan as Plan;
      api = new ApiClient(
        args.url.replace(/\/+$/, ''),
        args.key ?? info.api?.functionKey ?? LOCAL_FUNCTION_KEY,
      );
      print(`drill against ${api.baseUrl} (simulator ${sim.baseUrl})`);
    } else {
      storeDir = mkdtempSync(join(tmpdir(), 'dr-drill-store-'));
      estate = await startEmbeddedEstate({
        planFile: join(context.rootDir, 'examples', 'plan.json'),
        cadence: { ...DEFAULT_LOCAL_CADENCE, splitAnchor: drillSplitAnchor(Date.now()) },
        httpPort: 0,
        simPort: 0,
        storeDir,
        keepState: false,
        functionKey: LOCAL_FUNCTION_KEY,
        functionsDir: join(context.rootDir, 'functions'),
        log: (line) => estateLog?.write(`${formatLogLine(line)}\n`),
      });
      if (context.beforeDrill) await context.beforeDrill(estate);
      api = new ApiClient(`${estate.apiUrl}/api`, estate.functionKey);
      sim = new SimClient(estate.simUrl, estate.simKey);
      plan = estate.plan;
      print(
        `drill on an embedded estate (${estate.apiUrl}/api, ${estate.simUrl}); its log: ${join(outDir, 'estate.log')}`,
      );
    }
    const report = await runDrill({
      api,
      sim,
      plan,
      fault,
      stopOnFailure: args['stop-on-failure'] ?? false,
      skipBreakGlass: args['skip-break-glass'] ?? false,
      log: (m) => print(`drill  ${m}`),
    });
    const files = { markdown: join(outDir, 'report.md'), json: join(outDir, 'report.json') };
    writeFileSync(files.markdown, drillReportMarkdown(report));
    writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
    for (const i of report.invariants)
      print(`${i.ok ? 'pass' : 'FAIL'}  ${i.name}${i.ok ? '' : `: ${i.problems.join('; ')}`}`);
    print(
      `${report.ok ? 'PASSED' : 'FAILED'}: detection ${fmt(report.detectionMs)}, actuation ${fmt(report.actuationMs)}; report ${files.markdown}`,
    );
    return { exitCode: exitCodeOf(report), report, reportFiles: files };
  } catch (err) {
    print(`drill could not run: ${err instanceof Error ? err.message : String(err)}`);
    return { exitCode: 2 };
  } finally {
    await estate?.stop();
    await new Promise<void>((resolve) => (estateLog ? estateLog.end(() => resolve()) : resolve()));
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  }
}

const fmt = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
