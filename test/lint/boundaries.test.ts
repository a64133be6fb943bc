/**
 * The lint boundaries are what keeps orchestrators replayable and the core pure: prove they bite, on code that
 * would break replay if it slipped in (`npm run lint` checks that the real files pass).
 */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// Type-aware rules need a tsconfig project for the file; the boundary rules do not, so lint the snippets untyped.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: [
    tseslint.configs.disableTypeChecked,
    { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.message);
}

const ORCHESTRATOR = 'src/orchestrators/boundary-fixture.ts';
const CORE = 'src/core/boundary-fixture.ts';

describe('lint boundaries of deterministic code', () => {
  it.each([
    ['a global fetch', 'export const f = () => fetch("https://example.org");'],
    ['a timer', 'export const f = () => setTimeout(() => 1, 10);'],
    ['Date() as a function', 'export const f = () => Date();'],
    ['new Date() without arguments', 'export const f = () => new Date();'],
    ['Date.now()', 'export const f = () => Date.now();'],
    ['Math.random()', 'export const f = () => Math.random();'],
    ['crypto.randomUUID()', 'export const f = () => crypto.randomUUID();'],
    ['performance.now()', 'export const f = () => performance.now();'],
    ['process.env', 'export const f = () => process.env.X;'],
    ['a node built-in', 'import { readFileSync } from "node:fs"; export const f = readFileSync;'],
    [
      'an Azure SDK',
      'import { LogicManagementClient } from "@azure/arm-logic"; export const c = LogicManagementClient;',
    ],
    [
      'a module that reads files',
      'import { loadPlanFile } from "../plan/load"; export const f = loadPlanFile;',
    ],
    ['an adapter', 'import * as arm from "../adapters/logicapps/arm"; export const a = arm;'],
    [
      'the activities',
      'import { createActivities } from "../activities"; export const a = createActivities;',
    ],
  ])('refuses %s in an orchestrator', async (_what, code) => {
    expect(await problems(ORCHESTRATOR, code)).not.toEqual([]);
  });

  it('lets an orchestrator yield through durable-functions and use the core and contracts', async () => {
    const code = [
      'import * as df from "durable-functions";',
      'import { ACTIVITIES } from "../durable/contracts";',
      'import { planOperation } from "../core/planner";',
      'import { deliver } from "./notify";',
      'export const used = [df, ACTIVITIES, planOperation, deliver];',
      'export const at = (ctx: { df: { currentUtcDateTime: Date } }) => new Date(ctx.df.currentUtcDateTime.getTime());',
    ].join('\n');
    expect(await problems(ORCHESTRATOR, code)).toEqual([]);
  });

  it('refuses durable-functions and anything outside itself in the pure core', async () => {
    expect(await problems(CORE, 'import * as df from "durable-functions"; export const d = df;')).not.toEqual(
      [],
    );
    expect(await problems(CORE, 'import { z } from "zod"; export const s = z.string();')).not.toEqual([]);
    expect(await problems(CORE, 'import type { Plan } from "../plan/schema"; export type P = Plan;')).toEqual(
      [],
    );
  });
});

describe('lint boundary between what ships and what simulates', () => {
  it.each([
    [
      'src/http/boundary-fixture.ts',
      'import { startArmSimulator } from "../../local/sim/arm"; export const s = startArmSimulator;',
    ],
    [
      'src/boundary-fixture.ts',
      'import { startFunctionsHost } from "../local/host"; export const h = startFunctionsHost;',
    ],
    [
      'functions/boundary-fixture.ts',
      'import { simulatorConnection } from "../local/sim/arm/connection"; export const c = simulatorConnection;',
    ],
    ['src/adapters/boundary-fixture.ts', 'import * as rhea from "rhea"; export const r = rhea;'],
    ['src/config/boundary-fixture.ts', 'import { generate } from "selfsigned"; export const g = generate;'],
    ['src/cli/boundary-fixture.ts', 'import "tsx/cjs"; export const t = 1;'],
    [
      'src/telemetry/boundary-fixture.ts',
      'import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"; export const e = OTLPTraceExporter;',
    ],
  ])('refuses %s importing local code or a local-only package', async (file, code) => {
    expect(await problems(file, code)).not.toEqual([]);
  });

  it('lets product code import the product, and local code import the product', async () => {
    expect(
      await problems(
        'src/http/boundary-fixture.ts',
        'import { loadPlan } from "../plan/load"; export const l = loadPlan;',
      ),
    ).toEqual([]);
    expect(
      await problems(
        'local/start/boundary-fixture.ts',
        'import { controlPlane } from "../../src/composition"; export const c = controlPlane;',
      ),
    ).toEqual([]);
  });
});

describe('one composition root at the top', () => {
  it.each([
    ['process.env', 'src/http/boundary-fixture.ts', 'export const f = () => process.env.DR_KEY_IS_OPERATOR;'],
    ['process["env"]', 'src/activities/boundary-fixture.ts', 'export const f = () => process["env"];'],
    [
      'env destructured from process',
      'src/cli/boundary-fixture.ts',
      'const { env } = process; export const e = env;',
    ],
    [
      'an import of the root',
      'src/activities/boundary-fixture.ts',
      'import { controlPlane } from "../composition"; export const c = controlPlane;',
    ],
    [
      'an import of the root from the top of src/',
      'src/boundary-fixture.ts',
      'import { controlPlane } from "./composition"; export const c = controlPlane;',
    ],
  ])('refuses %s below the root', async (_what, file, code) => {
    expect(await problems(file, code)).not.toEqual([]);
  });

  it('lets the root read process.env, and functions/ import the root', async () => {
    expect(
      await problems('src/composition.ts', 'export const settings = () => process.env.DR_PLAN_PATH;'),
    ).toEqual([]);
    expect(
      await problems(
        'functions/boundary-fixture.ts',
        'import { httpRegistration } from "../src/composition"; export const h = httpRegistration;',
      ),
    ).toEqual([]);
  });

  it('holds for every file under src/ as it is', async () => {
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const offences = results.flatMap((r) =>
      r.messages
        .filter((m) => /composition root/.test(m.message))
        .map((m) => `${r.filePath.slice(process.cwd().length + 1)}:${m.line}: ${m.message}`),
    );
    expect(offences).toEqual([]);
  });
});
