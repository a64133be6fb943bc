import { ArmError } from './errors';
import { type Estate, findResponseAction } from './estate';
import { type RegionFaultState } from './faults';
import { disabledError, type ArmResponse } from './routes';

export interface CallbackRequest {
  method: string;
  url: URL;
  body: string;
}

export interface CallbackDeps {
  estate: Estate;
  /** The region whose runtime listener received the request. */
  region: string;
  faults: RegionFaultState;
}

const INVOKE_PATH =
  /^\/workflows\/([0-9a-f]{32})(?:\/versions\/([^/]+))?\/triggers\/([^/]+)\/paths\/invoke(?:\/.*)?$/i;

/**
 * Serves a trigger callback URL the way the Logic Apps runtime does: checks the SAS signature, refuses disabled
 * workflows, records a run, and answers synchronously with the definition's Response action (the health check).
 */
export function handleCallback(request: CallbackRequest, deps: CallbackDeps): ArmResponse {
  const match = INVOKE_PATH.exec(request.url.pathname);
  if (!match) {
    throw new ArmError(404, 'NotFound', `No trigger callback matches '${request.url.pathname}'.`);
  }
  const [, runtimeId = '', version, rawTrigger = ''] = match;
  const triggerName = decodeURIComponent(rawTrigger);
  const wf = deps.estate.findWorkflowByRuntimeId(runtimeId);
  if (!wf || wf.location !== deps.region) {
    throw new ArmError(404, 'WorkflowNotFound', `The workflow '${runtimeId}' could not be found.`);
  }
  const sig = request.url.searchParams.get('sig');
  const sp = request.url.searchParams.get('sp') ?? '';
  const sv = request.url.searchParams.get('sv') ?? '';
  if (!sig) {
    throw new ArmError(
      401,
      'DirectApiAuthorizationRequired',
      'The request must be authenticated only by Shared Access scheme (a sig query parameter).',
    );
  }
  const expectedSp = `${version === undefined ? '' : `/versions/${version}`}/triggers/${triggerName}/run`;
  if (sp !== expectedSp || !deps.estate.verifyCallbackSignature(wf, sp, sv, sig)) {
    throw new ArmError(
      401,
      'DirectApiInvalidAuthorizationSignature',
      'The provided authorization signature is not valid.',
    );
  }
  const trigger = deps.estate.trigger(wf, triggerName);
  if (wf.state !== 'Enabled' || deps.estate.triggerState(wf, trigger) !== 'Enabled') throw disabledError(wf);

  const run = deps.estate.recordRun(wf, trigger.name, 'callback');
  const headers = {
    'x-ms-workflow-run-id': run.name,
    'x-ms-workflow-version': run.version,
    'x-ms-workflow-name': wf.runtimeId,
  };
  const response = findResponseAction(wf.definition);
  if (!response) return { status: 202, headers };

  if (deps.faults.unhealthy === 'status') {
    return {
      status: 500,
      headers,
      body: {
        error: { code: 'SimulatedUnhealthy', message: `Region '${deps.region}' is marked unhealthy.` },
      },
    };
  }
  if (deps.faults.unhealthy === 'body') return { status: 200, headers, body: { status: 'Unhealthy' } };

  const inputs = (response.inputs ?? {}) as { statusCode?: unknown; body?: unknown };
  const status = typeof inputs.statusCode === 'number' ? inputs.statusCode : Number(inputs.statusCode ?? 200);
  return {
    status: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 200,
    headers,
    body: inputs.body,
  };
}
