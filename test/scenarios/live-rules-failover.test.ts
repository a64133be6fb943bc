/**
 * End to end: an undeclared entry whose live trigger forbids its role is blocked by the running control plane
 * (functions on the in-process host, the ARM simulator, the AMQP broker): nothing of it is changed, the other
 * entries fail over, and the operation record and notification name the entry, the rule and the fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/durable/contracts';
import { simLogicClient } from '../support/arm-sim';
import { ROOT, estatePerTest, failoverAfterPrimaryUnhealthy, type Estate } from '../support/estate';
import { eventOf } from '../support/notifications';

const estates = estatePerTest();
let estate: Estate | undefined;

it('an undeclared active-active entry whose live trigger is a webhook is refused at failover, nothing half-applied', async () => {
  estate = await estates.start({
    planPatch: (p) => ({
      ...p,
      workflows: [
        ...p.workflows,
        {
          name: 'partner-hook',
          role: 'active-active',
          group: 1,
          primary: 'partner-hook',
          secondary: 'partner-hook',
        },
      ],
    }),
  });
  const { plan, sim } = estate;
  // The plan says nothing of its trigger; what is deployed is an HttpWebhook.
  const webhook = JSON.parse(
    readFileSync(join(ROOT, 'infra/sample-workload/workflows/order-webhook.json'), 'utf8'),
  ) as Record<string, unknown>;
  for (const region of [plan.primary, plan.secondary]) {
    const client = simLogicClient(sim, region.subscriptionId);
    const wf = await client.workflows.get(region.resourceGroup, 'partner-hook');
    await client.workflows.createOrUpdate(region.resourceGroup, 'partner-hook', {
      ...wf,
      definition: webhook,
    });
  }
  const changesBefore = sim.stateChanges().filter((c) => c.workflowName === 'partner-hook').length;

  const op = await failoverAfterPrimaryUnhealthy(estate);
  expect(op.status).toBe('completed-with-errors');
  const hook = op.entries.find((e) => e.entry === 'partner-hook')!;
  expect(hook.steps).toEqual([]);
  expect(hook.blocked).toMatch(
    /role active-active is unsafe for a webhook trigger.*\[webhook-single-region\]; fix: use "active-passive"/,
  );
  // Not one write to it, in either region; the declared entries failed over.
  expect(sim.stateChanges().filter((c) => c.workflowName === 'partner-hook')).toHaveLength(changesBefore);
  const step = (entry: string, label: string) =>
    op.entries.find((e) => e.entry === entry)?.steps.find((s) => s.action.target.label === label)?.status;
  expect(step('order-webhook', 'secondary:order-webhook')).toBe('done');

  const completed = estate.broker
    .messages('failover-events')
    .find((m) => m.subject === EVENT_TYPES.failoverCompleted)!;
  const body = eventOf(completed, EVENT_TYPES.failoverCompleted);
  expect(body.data.results.find((r) => r.entry === 'partner-hook')?.blocked).toContain(
    '[webhook-single-region]',
  );
});
