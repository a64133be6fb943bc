/** ARM's canonical region name: `West Europe` → `westeurope`. */
export function normaliseLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
