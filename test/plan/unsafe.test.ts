/** Plans that are well-formed JSON but unsafe to build or to run: each is refused at load, naming the field. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/plan/load';
import { PlanError, validatePlan } from '../../src/plan/validate';
import { minimalPlan } from '../support/plans';

/** `rule @ path` of every problem parsePlan reports, or [] when the plan loads. */
function refusals(text: string): string[] {
  try {
    parsePlan(text, 'plan.json', '.');
    return [];
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    return err.issues.map((i) => `${i.rule} @ ${JSON.stringify(i.path)}`);
  }
}

function messageOf(text: string): string {
  try {
    parsePlan(text, 'plan.json', '.');
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('reserved keys', () => {
  it('refuses "__proto__" in the policy, which used to switch automatic failover off unseen', () => {
    const text = JSON.stringify(minimalPlan(), null, 2).replace(
      '"policy": {',
      '"policy": {\n    "__proto__": { "automaticFailover": false },',
    );
    expect(refusals(text)).toEqual(['reserved-key @ ["policy","__proto__"]']);
    const line = text.split('\n').findIndex((l) => l.includes('__proto__')) + 1;
    expect(messageOf(text)).toContain(
      `plan.json policy.__proto__ [reserved-key]: refused JSON at line ${line}`,
    );
  });

  it.each(['constructor', 'prototype', '__proto__'])(
    'refuses "%s" anywhere, even inside expectBody',
    (key) => {
      const plan = minimalPlan();
      plan.healthCheck.expectBody = { status: 'Healthy', nested: { [key]: { x: 1 } } };
      // JSON.stringify writes an own "__proto__" key as a key, like a hand-written file would.
      const text = JSON.stringify(plan).replace('"nested":{', `"nested":{"${key}":{"x":1},"y":`);
      expect(refusals(text)).toContain(`reserved-key @ ["healthCheck","expectBody","nested","${key}"]`);
    },
  );

  it('refuses reserved keys in values that came from JSON.parse, not the plan reader', () => {
    const text = JSON.stringify(minimalPlan()).replace(
      '"policy":{',
      '"policy":{"__proto__":{"recoveryThreshold":0},',
    );
    const { plan, issues } = validatePlan(JSON.parse(text));
    expect(plan).toBeUndefined();
    expect(issues.map((i) => `${i.rule} @ ${i.path.join('.')}`)).toEqual(['reserved-key @ policy.__proto__']);
  });

  it('refuses an object whose prototype was replaced in code', () => {
    const raw = minimalPlan();
    raw.policy = Object.assign(Object.create({ automaticFailover: false }) as object, raw.policy);
    const { plan, issues } = validatePlan(raw);
    expect(plan).toBeUndefined();
    expect(issues.map((i) => `${i.rule} @ ${i.path.join('.')}`)).toEqual(['reserved-key @ policy']);
  });
});

describe('nesting depth', () => {
  it('refuses 10,000 nested arrays with a message, not a stack overflow', () => {
    const text = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(refusals(text)).toEqual(['json-depth @ []']);
    expect(messageOf(text)).toContain(
      'refused JSON at line 1, column 65: objects and arrays nested deeper than 64 levels',
    );
  });

  it('refuses a deep value inside an otherwise valid plan, and through JSON.parse too', () => {
    const plan = minimalPlan();
    let body: Record<string, unknown> = {};
    plan.healthCheck.expectBody = body;
    for (let i = 0; i < 100; i++) body = body[`l${i}`] = {} as Record<string, unknown>;
    expect(refusals(JSON.stringify(plan))).toEqual(['json-depth @ []']);
    expect(validatePlan(plan).issues.map((i) => i.rule)).toEqual(['json-depth']);
  });

  it('accepts nesting a real expectBody might use', () => {
    const plan = minimalPlan();
    let body: Record<string, unknown> = {};
    plan.healthCheck.expectBody = body;
    for (let i = 0; i < 20; i++) body = body[`l${i}`] = {} as Record<string, unknown>;
    expect(refusals(JSON.stringify(plan))).toEqual([]);
  });
});

describe('a declared stateSide that contradicts the classifier', () => {
  const root = join(__dirname, '../..');
  const mailbox = 'infra/sample-workload/workflows/mailbox-poller.json';
  const queue = 'infra/sample-workload/workflows/queue-consumer.json';
  const load = (fields: Record<string, unknown>) => {
    const plan = minimalPlan();
    plan.workflows.push({ name: 'mail', primary: 'mail', secondary: 'mail', ...fields });
    return parsePlan(JSON.stringify(plan), 'plan.json', root);
  };

  it('loads, but warns loudly that an Office 365 mailbox made active-active reads mail in both regions', () => {
    const { warnings } = load({ role: 'active-active', stateSide: 'server', definition: mailbox });
    expect(warnings.map((w) => `${w.rule} @ ${w.path.join('.')}`)).toEqual([
      'state-side-overrides-classifier @ workflows.1.stateSide',
    ]);
    expect(warnings[0]!.message).toContain('declares stateSide "server", but its office365 trigger');
    expect(warnings[0]!.message).toContain('mail will be read in both regions');
  });

  it('without the declaration the same entry is refused, so the warning is about the override alone', () => {
    expect(() => load({ role: 'active-active', definition: mailbox })).toThrow(
      /client-state-polling-single-region/,
    );
  });

  it('does not warn where the declaration changes nothing: active-passive, or a server-state connector', () => {
    expect(load({ role: 'active-passive', stateSide: 'server', definition: mailbox }).warnings).toEqual([]);
    expect(load({ role: 'active-active', stateSide: 'server', definition: queue }).warnings).toEqual([]);
  });
});
