import { z } from 'zod';
import { SimInputError } from './errors';

const state = z.enum(['Enabled', 'Disabled']);
const jsonObject = z.record(z.string(), z.unknown());

const seedWorkflow = z
  .object({
    name: z.string().min(1),
    /** Defaults to the resource group's location. */
    location: z.string().min(1).optional(),
    state: state.default('Enabled'),
    definition: jsonObject,
    parameters: jsonObject.optional(),
    tags: z.record(z.string(), z.string()).optional(),
    /** The workflow's managed identity, as ARM spells it (`{ type, userAssignedIdentities }`). */
    identity: jsonObject.optional(),
    /** `{ id }` of the integration account the workflow is linked to. */
    integrationAccount: z
      .object({ id: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

const seedSiteWorkflow = z
  .object({ name: z.string().min(1), definition: jsonObject, state: state.default('Enabled') })
  .strict();

const seedSite = z
  .object({
    name: z.string().min(1),
    location: z.string().min(1).optional(),
    workflows: z.array(seedSiteWorkflow).default([]),
    /** Extra app settings; FlowState settings are derived from the workflows' states. */
    appSettings: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const seedIntegrationAccount = z
  .object({
    name: z.string().min(1),
    /** Defaults to the resource group's location. */
    location: z.string().min(1).optional(),
    sku: z.enum(['Free', 'Basic', 'Standard']).default('Standard'),
  })
  .strict();

const seedResourceGroup = z
  .object({
    name: z.string().min(1),
    location: z.string().min(1),
    workflows: z.array(seedWorkflow).default([]),
    sites: z.array(seedSite).default([]),
    integrationAccounts: z.array(seedIntegrationAccount).default([]),
  })
  .strict();

export const simSeedSchema = z
  .object({
    subscriptions: z.array(
      z.object({ id: z.string().min(1), resourceGroups: z.array(seedResourceGroup).default([]) }).strict(),
    ),
  })
  .strict();

/** What `sim.seed()` accepts: subscriptions → resource groups → consumption workflows and Standard sites. */
export type SimSeed = z.input<typeof simSeedSchema>;
export type ParsedSimSeed = z.output<typeof simSeedSchema>;

export function parseSimSeed(value: unknown): ParsedSimSeed {
  const parsed = simSeedSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `seed.${issue.path.join('.')}` : 'seed';
    throw new SimInputError(where, issue?.message ?? 'is not a valid seed');
  }
  return parsed.data;
}
