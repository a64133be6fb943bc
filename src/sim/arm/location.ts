/** ARM's canonical region name (`West Europe` → `westeurope`): one rule for the plan and the simulator. */
export { normaliseLocation } from '../../core/plan-rules';
