/**
 * What a function file registered, read from its binding metadata, and how the host invokes it: through the
 * captured programming model's invocation model, so handler arguments are built exactly as in Azure.
 */
import { randomUUID } from 'node:crypto';
import { MissingSettingError, RegistrationError } from './errors';
import {
  programmingModel,
  type CapturedFunction,
  type CoreBinding,
  type CoreFunctionCallback,
  type CoreInvocationResponse,
  type CoreParameterBinding,
  type CoreTypedData,
} from './functionsCore';

export type FunctionKind = 'http' | 'timer' | 'activity' | 'orchestration' | 'entity' | 'other';

export interface HttpTriggerInfo {
  /** Route template without the `api/` prefix, e.g. `orders/{id}`. */
  route: string;
  methods: string[];
  authLevel: 'anonymous' | 'function' | 'admin';
}

export interface TimerTriggerInfo {
  /** The NCRONTAB schedule with `%SETTING%` placeholders resolved. */
  schedule: string;
  runOnStartup: boolean;
  useMonitor: boolean;
}

export interface FunctionRegistration {
  name: string;
  kind: FunctionKind;
  triggerType: string;
  triggerBindingName: string;
  /** Name of the durable client input binding, when the function has one. */
  durableClientBinding: string | undefined;
  http: HttpTriggerInfo | undefined;
  timer: TimerTriggerInfo | undefined;
  bindings: Record<string, CoreBinding>;
  sourceFile: string | undefined;
  callback: CoreFunctionCallback;
}

const KIND_BY_TRIGGER: Record<string, FunctionKind> = {
  httptrigger: 'http',
  timertrigger: 'timer',
  activitytrigger: 'activity',
  orchestrationtrigger: 'orchestration',
  entitytrigger: 'entity',
};

/** Replaces `%NAME%` with the setting's value, as the Functions host does for binding expressions. */
export function resolveSettings(
  text: string,
  settings: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return text.replace(/%([^%]+)%/g, (_m, name: string) => {
    const value = settings[name];
    if (value === undefined) {
      throw new MissingSettingError(`${where} uses %${name}% but setting '${name}' is not defined`);
    }
    return value;
  });
}

export function describeRegistrations(
  captured: readonly CapturedFunction[],
  settings: Readonly<Record<string, string | undefined>>,
): FunctionRegistration[] {
  const seen = new Set<string>();
  return captured.map(({ metadata, callback, sourceFile }) => {
    const lower = metadata.name.toLowerCase();
    if (seen.has(lower)) {
      throw new RegistrationError(
        `Function '${metadata.name}' is registered twice (second time in ${sourceFile})`,
      );
    }
    seen.add(lower);
    const entries = Object.entries(metadata.bindings);
    const trigger = entries.find(([, b]) => b.direction === 'in' && /trigger$/i.test(b.type));
    if (!trigger) throw new RegistrationError(`Function '${metadata.name}' has no trigger binding`);
    const [triggerBindingName, triggerBinding] = trigger;
    const kind = KIND_BY_TRIGGER[triggerBinding.type.toLowerCase()] ?? 'other';
    const client = entries.find(([, b]) => b.type === 'durableClient' || b.type === 'orchestrationClient');
    const where = `Function '${metadata.name}'`;
    let http: HttpTriggerInfo | undefined;
    if (kind === 'http') {
      const route = typeof triggerBinding.route === 'string' ? triggerBinding.route : metadata.name;
      const methods = Array.isArray(triggerBinding.methods)
        ? (triggerBinding.methods as unknown[]).map((m) => String(m).toUpperCase())
        : ['GET', 'POST'];
      const level =
        typeof triggerBinding.authLevel === 'string' ? triggerBinding.authLevel.toLowerCase() : 'anonymous';
      if (level !== 'anonymous' && level !== 'function' && level !== 'admin') {
        throw new RegistrationError(
          `${where} has authLevel '${level}'; expected anonymous, function or admin`,
        );
      }
      http = {
        route: resolveSettings(route.replace(/^\/+|\/+$/g, ''), settings, where),
        methods,
        authLevel: level,
      };
    }
    let timer: TimerTriggerInfo | undefined;
    if (kind === 'timer') {
      if (typeof triggerBinding.schedule !== 'string') {
        throw new RegistrationError(`${where} is a timer trigger without a schedule`);
      }
      timer = {
        schedule: resolveSettings(triggerBinding.schedule, settings, `${where} schedule`),
        runOnStartup: triggerBinding.runOnStartup === true,
        useMonitor: triggerBinding.useMonitor !== false,
      };
    }
    return {
      name: metadata.name,
      kind,
      triggerType: triggerBinding.type,
      triggerBindingName,
      durableClientBinding: client?.[0],
      http,
      timer,
      bindings: metadata.bindings,
      sourceFile,
      callback,
    };
  });
}

export type UserLog = (functionName: string, level: string, message: string) => void;

export interface InvocationOutcome {
  /** The InvocationContext the model built (Durable keeps the orchestration context on `context.df`). */
  context: unknown;
  /** What the handler returned. */
  result: unknown;
  response: CoreInvocationResponse;
}

/**
 * Invokes a registered function the way the Node worker does: invocation request → model.getArguments →
 * model.invokeFunction(handler) → model.getResponse.
 */
export async function invokeRegistration(
  reg: FunctionRegistration,
  inputs: { trigger?: CoreTypedData; extra?: Record<string, CoreTypedData> },
  log: UserLog,
): Promise<InvocationOutcome> {
  const invocationId = randomUUID();
  const inputData: CoreParameterBinding[] = [{ name: reg.triggerBindingName, data: inputs.trigger }];
  for (const [name, data] of Object.entries(inputs.extra ?? {})) inputData.push({ name, data });
  const coreCtx = {
    invocationId,
    request: { invocationId, functionId: reg.name, inputData, triggerMetadata: {} },
    metadata: { name: reg.name, bindings: reg.bindings },
    state: 'invocation',
    log: (level: string, _category: string, message: string) => log(reg.name, level, message),
  };
  const model = programmingModel().getInvocationModel(coreCtx);
  const { context, inputs: args } = await model.getArguments();
  const result = await model.invokeFunction(context, args, reg.callback);
  const response = await model.getResponse(context, result);
  return { context, result, response };
}
