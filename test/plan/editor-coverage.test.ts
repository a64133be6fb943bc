/**
 * What an editor catches with the published JSON Schema, over a corpus of invalid plans the loader refuses:
 * the shapes JSON Schema can express (durations, role-dependent fields, side shapes) are underlined while
 * typing; the DR rules stay the loader's (it is the referee for everything).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../src/plan/validate';
import { minimalPlan } from '../support/plans';

type Plan = ReturnType<typeof minimalPlan>;
const published = JSON.parse(readFileSync(join(__dirname, '../../schema/plan.schema.json'), 'utf8'));
const editor = new Ajv2020({ strict: false, allErrors: true }).compile(published);

const split = (fields: Record<string, unknown> = {}) => ({
  name: 'report',
  role: 'split-recurrence',
  trigger: 'recurrence',
  schedule: { every: 'PT10M', anchor: '2024-01-01T00:00:00Z' },
  primary: { active: 'report-a', passive: 'report-b' },
  secondary: { active: 'report-b', passive: 'report-a' },
  ...fields,
});
/** As the loader runs it: declared triggers are what the DR rules judge. */
const load = (doc: unknown) =>
  validatePlan(doc, (entry) =>
    entry.trigger
      ? { source: 'declared', triggers: [{ kind: entry.trigger, stateSide: entry.stateSide }] }
      : undefined,
  );
const withEntry = (entry: Record<string, unknown>) => (p: Plan) => void p.workflows.push(entry);

/** Each breaks one thing; `editor` says whether JSON Schema can express it (the test holds both ways). */
const corpus: { name: string; mutate: (p: Plan) => void; editor: boolean }[] = [
  { name: 'duration "30s"', mutate: (p) => (p.policy.probeInterval = '30s'), editor: true },
  { name: 'duration "PT"', mutate: (p) => (p.healthCheck.timeout = 'PT'), editor: true },
  { name: 'calendar duration P1M', mutate: (p) => (p.policy.cooldown = 'P1M'), editor: true },
  { name: 'weeks P1W', mutate: (p) => (p.policy.maxPause = 'P1W'), editor: true },
  { name: 'split entry without schedule', mutate: withEntry(split({ schedule: undefined })), editor: true },
  { name: 'split side as a plain name', mutate: withEntry(split({ primary: 'report' })), editor: true },
  {
    name: 'split side as a Standard ref',
    mutate: withEntry(split({ secondary: { site: 'la', workflow: 'report' } })),
    editor: true,
  },
  {
    name: 'active-passive side given as twins',
    mutate: withEntry({
      name: 'hook',
      role: 'active-passive',
      trigger: 'webhook',
      primary: { active: 'a', passive: 'b' },
      secondary: 'hook',
    }),
    editor: true,
  },
  {
    name: 'schedule.every "10m"',
    mutate: withEntry(split({ schedule: { every: '10m', anchor: '2024-01-01T00:00:00Z' } })),
    editor: true,
  },
  {
    name: 'unknown field failureTreshold',
    mutate: (p) => ((p.policy as Record<string, unknown>).failureTreshold = 3),
    editor: true,
  },
  { name: 'threshold 0', mutate: (p) => (p.policy.failureThreshold = 0), editor: true },
  { name: 'threshold 101', mutate: (p) => (p.policy.failureThreshold = 101), editor: true },
  { name: 'resource group ending in "."', mutate: (p) => (p.primary.resourceGroup = 'rg.'), editor: true },
  { name: 'workflow name with "?"', mutate: (p) => (p.workflows[0]!.primary = 'api?x'), editor: true },
  {
    name: 'unknown role',
    mutate: (p) => ((p.workflows[0] as Record<string, unknown>).role = 'active-standby'),
    editor: true,
  },
  // The DR rules and cross-field checks: only the loader.
  {
    name: 'webhook active-active',
    mutate: withEntry({
      name: 'hook',
      role: 'active-active',
      trigger: 'webhook',
      primary: 'hook',
      secondary: 'hook',
    }),
    editor: false,
  },
  { name: 'same region twice', mutate: (p) => (p.secondary.location = 'westeurope'), editor: false },
  { name: 'timeout not below the interval', mutate: (p) => (p.healthCheck.timeout = 'PT30S'), editor: false },
  {
    name: 'duplicate entry names',
    mutate: (p) => void p.workflows.push({ ...p.workflows[0]!, primary: 'b', secondary: 'b' }),
    editor: false,
  },
  { name: 'probe interval over PT1H', mutate: (p) => (p.policy.probeInterval = 'PT2H'), editor: false },
];

describe('the published JSON Schema over the invalid-plan corpus', () => {
  it.each(corpus)(
    '$name: the loader refuses it; the editor catches it: $editor',
    ({ mutate, editor: caught }) => {
      const plan = minimalPlan();
      mutate(plan);
      const doc = JSON.parse(JSON.stringify(plan)) as unknown; // as an editor sees the file
      expect(load(doc).plan, 'the loader refuses it').toBeUndefined();
      expect(editor(doc), JSON.stringify(editor.errors)).toBe(!caught);
    },
  );

  it('counts what an editor catches, and still accepts every valid shape', () => {
    const caught = corpus.filter(({ mutate }) => {
      const plan = minimalPlan();
      mutate(plan);
      return !editor(JSON.parse(JSON.stringify(plan)));
    }).length;
    // 15 of 20 today: every shape JSON Schema can express; the 5 left are DR rules and cross-field checks.
    expect(`${caught} of ${corpus.length}`).toBe('15 of 20');
    for (const entry of [
      split(),
      split({
        primary: { workflow: 'report', mode: 'rewrite' },
        secondary: { workflow: 'report', mode: 'rewrite' },
      }),
      {
        name: 'std',
        role: 'active-passive',
        trigger: 'request',
        primary: { site: 'la-w', workflow: 'std' },
        secondary: { site: 'la-n', workflow: 'std' },
      },
    ]) {
      const plan = minimalPlan();
      plan.workflows.push(entry);
      expect(load(plan).issues, JSON.stringify(entry)).toEqual([]);
      expect(editor(plan), JSON.stringify(editor.errors)).toBe(true);
    }
    const example = JSON.parse(readFileSync(join(__dirname, '../../examples/plan.json'), 'utf8'));
    expect(editor(example), JSON.stringify(editor.errors)).toBe(true);
  });
});
