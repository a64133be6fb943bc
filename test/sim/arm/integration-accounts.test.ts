// Integration accounts in the simulator: the one read `dr ready` makes, through the stock SDK and our adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmTerminalError, ArmTransientError } from '../../../src/adapters/arm/errors';
import { createArmIntegrationAccounts } from '../../../src/adapters/logicapps/integration-accounts';
import { simulatorConnection, startArmSimulator, type ArmSimulator } from '../../../local/sim/arm';
import { armUrl, rawRequest, SUB } from './helpers';
import { oneSubscriptionSeed, simLogicClient } from '../../support/arm-sim';

let sim: ArmSimulator;
const accountPath = (rg: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Logic/integrationAccounts/${name}`;

beforeAll(async () => {
  sim = await startArmSimulator({
    seed: oneSubscriptionSeed(SUB, [
      {
        name: 'rg-neu',
        location: 'North Europe',
        integrationAccounts: [{ name: 'ia-neu' }, { name: 'ia-far', location: 'West Europe', sku: 'Basic' }],
      },
    ]),
  });
});
afterAll(async () => sim?.stop());

describe('integration accounts (GET)', () => {
  it('answers in the IntegrationAccount shape of the 2019-05-01 API, located in its own region', async () => {
    const client = simLogicClient(sim, SUB);
    const account = await client.integrationAccounts.get('rg-neu', 'ia-far');
    expect(account).toMatchObject({
      id: accountPath('rg-neu', 'ia-far'),
      name: 'ia-far',
      type: 'Microsoft.Logic/integrationAccounts',
      location: 'westeurope',
      sku: { name: 'Basic' },
    });
    const raw = await rawRequest(sim, armUrl(sim, accountPath('rg-neu', 'ia-neu')));
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.body)).toEqual({
      id: accountPath('rg-neu', 'ia-neu'),
      name: 'ia-neu',
      type: 'Microsoft.Logic/integrationAccounts',
      location: 'northeurope',
      sku: { name: 'Standard' },
      properties: { state: 'Enabled' },
    });
  });

  it('404 ResourceNotFound for a missing account, 400 on a wrong api-version, 401 without a token', async () => {
    const missing = await rawRequest(sim, armUrl(sim, accountPath('rg-neu', 'ia-none')));
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({
      error: {
        code: 'ResourceNotFound',
        message:
          "The Resource 'Microsoft.Logic/integrationAccounts/ia-none' under resource group 'rg-neu' was not found.",
      },
    });
    const version = await rawRequest(sim, armUrl(sim, accountPath('rg-neu', 'ia-neu'), '2016-06-01'));
    expect(version.status).toBe(400);
    expect(JSON.parse(version.body).error.code).toBe('InvalidApiVersionParameter');
    expect(
      (await rawRequest(sim, armUrl(sim, accountPath('rg-neu', 'ia-neu')), { token: null })).status,
    ).toBe(401);
  });

  it('the adapter reads the location, types errors, and an account follows its own region’s faults', async () => {
    const accounts = createArmIntegrationAccounts({ ...simulatorConnection(sim), maxRetries: 0 });
    expect(await accounts.get(accountPath('rg-neu', 'ia-far'))).toEqual({
      id: accountPath('rg-neu', 'ia-far'),
      name: 'ia-far',
      location: 'westeurope',
    });
    await expect(accounts.get(accountPath('rg-neu', 'ia-none'))).rejects.toBeInstanceOf(ArmTerminalError);
    await expect(accounts.get('/subscriptions/x/integrationAccounts/y')).rejects.toThrow(
      /not the resource id of a Microsoft\.Logic\/integrationAccounts resource/,
    );
    sim.outage('westeurope', { kind: 'down', mode: 'refused' });
    try {
      await expect(accounts.get(accountPath('rg-neu', 'ia-far'))).rejects.toBeInstanceOf(ArmTransientError);
      expect((await accounts.get(accountPath('rg-neu', 'ia-neu'))).location).toBe('northeurope');
    } finally {
      sim.restore('westeurope');
      await sim.settle();
    }
  });
});
