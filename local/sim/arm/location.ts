/** ARM's canonical region name (`West Europe` → `westeurope`): one rule for the plan and the simulator. */
export { normaliseLocation } from '../../../src/core/plan-rules';
