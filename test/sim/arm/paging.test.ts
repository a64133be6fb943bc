// Workflows_ListByResourceGroup paging as the spec subset describes it ($top, $filter, x-ms-pageable nextLink),
// with every answer validated against the official schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  armUrl,
  findOperation,
  rawRequest,
  recurrenceDefinition,
  specProblems,
  startCheckedSimulator,
  SUB,
  type CheckedSimulator,
} from './helpers';
import { oneSubscriptionSeed } from '../../support/arm-sim';

const RG = 'rg-paging';
const NAMES = Array.from({ length: 7 }, (_, i) => `wf-${i}`);
const listPath = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Logic/workflows`;
let sim: CheckedSimulator;

beforeAll(async () => {
  sim = await startCheckedSimulator({
    // A read bucket that does not refill during the test, so each page's cost shows exactly.
    throttle: { reads: { capacity: 1_000, refillPerSecond: 0.001 } },
    seed: oneSubscriptionSeed(SUB, [
      {
        name: RG,
        location: 'westeurope',
        workflows: NAMES.map((name, i) => ({
          name,
          definition: recurrenceDefinition(),
          state: i % 2 ? ('Disabled' as const) : ('Enabled' as const),
        })),
      },
      { name: 'rg-empty', location: 'westeurope', workflows: [] },
    ]),
  });
});
// stop() fails the file if any answer was outside the spec.
afterAll(async () => sim?.stop());

interface Page {
  value: { name: string; properties: { state: string; definition: { triggers: object } } }[];
  nextLink?: string;
}

/** GETs a list URL and checks the answer against the spec; returns the page and the remaining-reads header. */
async function get(url: string): Promise<{ status: number; page: Page; remaining: number }> {
  const res = await rawRequest(sim, url);
  const { pathname } = new URL(url);
  expect(findOperation('GET', pathname)?.operationId).toBe('Workflows_ListByResourceGroup');
  expect(specProblems('GET', pathname, res.status, res.body)).toEqual([]);
  return {
    status: res.status,
    page: JSON.parse(res.body) as Page,
    remaining: Number(res.headers['x-ms-ratelimit-remaining-subscription-reads']),
  };
}

/** Follows nextLinks from `first` to the last page. */
async function allPages(first: string) {
  const pages: { page: Page; remaining: number }[] = [];
  for (let url: string | undefined = first; url;) {
    const r = await get(url);
    expect(r.status).toBe(200);
    pages.push(r);
    url = r.page.nextLink;
  }
  return pages;
}

const withQuery = (query: Record<string, string>) => {
  const url = new URL(armUrl(sim, listPath));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.toString();
};

describe('Workflows_ListByResourceGroup paging', () => {
  it('$top items per page, an absolute nextLink with a skip token, and no nextLink on the last page', async () => {
    const pages = await allPages(withQuery({ $top: '3' }));
    expect(pages.map((p) => p.page.value.map((w) => w.name))).toEqual([
      NAMES.slice(0, 3),
      NAMES.slice(3, 6),
      NAMES.slice(6),
    ]);
    for (const { page } of pages.slice(0, -1)) {
      const next = new URL(page.nextLink!);
      expect(`${next.protocol}//${next.host}`).toBe(sim.armEndpoint);
      expect(next.pathname).toBe(listPath);
      expect(next.searchParams.get('api-version')).toBe('2019-05-01');
      expect(next.searchParams.get('$top')).toBe('3');
      expect(next.searchParams.get('$skiptoken')).toMatch(/^\d+$/);
    }
    // The last page carries no nextLink at all (not an empty or null one).
    expect('nextLink' in pages.at(-1)!.page).toBe(false);
    // Each item is the full workflow a GET shows: state and the definition's triggers included.
    for (const w of pages.flatMap((p) => p.page.value)) {
      expect(w.properties.state).toMatch(/^(Enabled|Disabled)$/);
      expect(w.properties.definition.triggers).toHaveProperty('Recurrence');
    }
  });

  it('each page costs one read from the subscription bucket', async () => {
    const pages = await allPages(withQuery({ $top: '2' }));
    expect(pages).toHaveLength(4);
    const remaining = pages.map((p) => p.remaining);
    for (let i = 1; i < remaining.length; i++) expect(remaining[i - 1]! - remaining[i]!).toBe(1);
  });

  it('a page that ends exactly at the last item, and a $top beyond the count, have no nextLink', async () => {
    for (const top of ['7', '1000']) {
      const pages = await allPages(withQuery({ $top: top }));
      expect(pages).toHaveLength(1);
      expect(pages[0]!.page.value).toHaveLength(7);
      expect('nextLink' in pages[0]!.page).toBe(false);
    }
    const empty = await get(
      armUrl(sim, `/subscriptions/${SUB}/resourceGroups/rg-empty/providers/Microsoft.Logic/workflows`),
    );
    expect(empty.page).toEqual({ value: [] });
  });

  it('$filter is kept across nextLinks', async () => {
    const pages = await allPages(withQuery({ $top: '2', $filter: "State eq 'Disabled'" }));
    expect(pages.map((p) => p.page.value.map((w) => w.name))).toEqual([['wf-1', 'wf-3'], ['wf-5']]);
    expect(new URL(pages[0]!.page.nextLink!).searchParams.get('$filter')).toBe("State eq 'Disabled'");
  });

  it('refuses a $top or skip token that is not a positive integer, with a spec error body', async () => {
    const invalid: Record<string, string>[] = [
      { $top: '0' },
      { $top: 'ten' },
      { $top: '2', $skiptoken: '-1' },
    ];
    for (const query of invalid) {
      const r = await get(withQuery(query));
      expect(r.status).toBe(400);
      expect(r.page).toMatchObject({ error: { code: 'InvalidQueryParameterValue' } });
    }
  });
});
