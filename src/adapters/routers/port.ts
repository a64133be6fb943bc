/** The port through which the control plane reads and switches the routers in front of Request triggers. */
import type { RegionName } from '../../core/planner';
import type { CallbackParts, RouterReading, RouterTarget } from '../../core/routers';
import type { Router } from '../../plan/schema';

export interface RouterControl {
  /** What the router shows now (never a signature in an error). Throws ArmTransientError / ArmTerminalError. */
  read(router: Router, target: RouterTarget): Promise<RouterReading>;
  /**
   * Sends the router's calls to region `to`: APIM gets `callback` (the url, its query, and the sig as a
   * secret); Front Door and Traffic Manager enable `to`'s endpoint first, then disable the other (never none).
   * Idempotent: reads first and writes only what differs, so a retried switch finds its own write.
   */
  switchTo(
    router: Router,
    target: RouterTarget,
    to: RegionName,
    callback?: CallbackParts,
  ): Promise<{ changed: boolean }>;
}
