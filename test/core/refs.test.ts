import { describe, expect, it } from 'vitest';
import { parseWorkflowId, refKey, refName, targetKey } from '../../src/core/refs';

const region = { subscriptionId: 'SUB-1', resourceGroup: 'rg-DR', location: 'westeurope' };
const id = '/subscriptions/sub-1/resourceGroups/RG-dr/providers/Microsoft.Logic/workflows/orders';

describe('workflow references', () => {
  it('parses a consumption workflow id and nothing else', () => {
    expect(parseWorkflowId(id)).toEqual({ subscriptionId: 'sub-1', resourceGroup: 'RG-dr', name: 'orders' });
    expect(
      parseWorkflowId('/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/x'),
    ).toBeUndefined();
    expect(parseWorkflowId(`${id}/triggers/manual`)).toBeUndefined();
  });

  it('keys a name and the id of the same workflow alike, case-insensitively; a Standard workflow by site', () => {
    expect(refKey('Orders', region)).toBe(refKey(id, region));
    expect(refKey({ site: 'la-std', workflow: 'orders' }, region)).toBe('sub-1/rg-dr/sites/la-std/orders');
    expect(refKey({ site: 'la-std', workflow: 'orders' }, region)).not.toBe(refKey('orders', region));
  });

  it('labels with the short name and keys a target by region', () => {
    expect(refName(id)).toBe('orders');
    expect(refName({ site: 'la-std', workflow: 'orders' })).toBe('la-std/orders');
    expect(targetKey({ region: 'primary', key: 'k' })).toBe('primary:k');
    expect(targetKey({ region: 'primary', key: 'k' })).not.toBe(targetKey({ region: 'secondary', key: 'k' }));
  });
});
