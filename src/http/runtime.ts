/**
 * The HTTP API's composition root: the handlers over the process's control plane, the durable client from
 * the invocation, and the app settings the API reads (DR_REQUIRE_PRINCIPAL, DR_KEY_IS_OPERATOR, and
 * WEBSITE_AUTH_ENABLED, which Azure sets to True when App Service Authentication is on). `functions/http-*.ts`
 * register routes through `httpRegistration`, so each registration file stays one call.
 */
import type { HttpFunctionOptions, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane } from '../composition';
import { createHttpApi, type HttpHandler, type HttpApiSettings } from './api';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';

const isTrue = (v: string | undefined): boolean => (v ?? '').trim().toLowerCase() === 'true';

/** What a local host without App Service Authentication vouches for in code (never through a setting). */
export interface LocalTrust {
  /** Believe x-ms-client-principal (installLocalPrincipalTrust). */
  principal?: boolean;
  /** Let a function key alone operate (installLocalKeyIsOperator). */
  keyIsOperator?: boolean;
}

/**
 * Reads the API's settings; `true` (any case) turns a flag on, anything else leaves it off. The principal
 * header is trusted when App Service Authentication is enabled (Azure sets WEBSITE_AUTH_ENABLED=True;
 * Microsoft.Identity.Web reads the same signal) or a local host vouches for it. A function key alone may
 * operate only with DR_KEY_IS_OPERATOR=true (or a local host's opt-in), and never where DR_REQUIRE_PRINCIPAL
 * refuses key-only callers altogether.
 */
export function httpSettingsFrom(
  settings: Readonly<Record<string, string | undefined>>,
  local: LocalTrust = {},
): HttpApiSettings {
  const requirePrincipal = isTrue(settings.DR_REQUIRE_PRINCIPAL);
  return {
    requirePrincipal,
    trustPrincipal: isTrue(settings.WEBSITE_AUTH_ENABLED) || local.principal === true,
    keyIsOperator: !requirePrincipal && (isTrue(settings.DR_KEY_IS_OPERATOR) || local.keyIsOperator === true),
  };
}

/**
 * The start-up warning about key-only operators, or undefined when there is nothing to warn about: a key
 * that can fail over is a secret as strong as an operator's sign-in, and whoever reads the log should know.
 */
export function keyIsOperatorWarning(
  settings: Readonly<Record<string, string | undefined>>,
  local: LocalTrust = {},
): string | undefined {
  const asked = isTrue(settings.DR_KEY_IS_OPERATOR) || local.keyIsOperator === true;
  if (!asked) return undefined;
  const source = isTrue(settings.DR_KEY_IS_OPERATOR)
    ? 'DR_KEY_IS_OPERATOR=true'
    : 'key-is-operator (opted in by this local host)';
  if (!httpSettingsFrom(settings, local).keyIsOperator)
    return `${source} has no effect: DR_REQUIRE_PRINCIPAL=true refuses callers with only a function key`;
  return (
    `${source}: any caller with a function key may fail over, fail back, pause and resume, with no sign-in ` +
    'and no app role. Prefer App Service Authentication with the Failover.Operator app role (docs/security.md)'
  );
}

const localTrust: LocalTrust = {};

/**
 * For the in-process host (tests, the embedded `npm start`), which has no App Service Authentication in
 * front: believe x-ms-client-principal as if it had one. Deliberately code, not an app setting, so a
 * deployed app cannot be configured into trusting a header any key holder can write.
 */
export function installLocalPrincipalTrust(on: boolean): void {
  localTrust.principal = on;
}

/**
 * For the in-process host (tests, the embedded `npm start` demo), which has no Entra sign-in to give anyone
 * an app role: let the function key operate. Code, not a setting that could be copied into an Azure app;
 * a deployment opts in with DR_KEY_IS_OPERATOR=true, loudly.
 */
export function installLocalKeyIsOperator(on: boolean): void {
  localTrust.keyIsOperator = on;
}

let announced = false;

/** Logs the key-is-operator warning once per process: at start-up, when the first route is registered. */
export function announceHttpAuth(log: Pick<Console, 'warn'> = console): void {
  if (announced) return;
  announced = true;
  const warning = keyIsOperatorWarning(process.env, localTrust);
  if (warning) log.warn(`HTTP API: ${warning}`);
}

let clock: () => Date = () => new Date();

/**
 * For the in-process host on virtual time: the handlers' "now" (pause limits, whether a pause is still in
 * force) must be the host's clock, as the monitor's is. Pass undefined to go back to the wall clock.
 */
export function installHttpClock(now: (() => Date) | undefined): void {
  clock = now ?? (() => new Date());
}

let api: Record<HttpRouteKey, HttpHandler> | undefined;

export function httpApi(): Record<HttpRouteKey, HttpHandler> {
  api ??= createHttpApi({
    plan: () => controlPlane().plan,
    control: () => controlPlane().control,
    routers: () => controlPlane().routers,
    client: (context: InvocationContext) => df.getClient(context),
    // Read per request, so a changed app setting applies without a restart of this module.
    settings: () => httpSettingsFrom(process.env, localTrust),
    now: () => clock(),
  });
  return api;
}

/** `app.http(...httpRegistration('status'))`: name, route, method, function-level key, durable client. */
export function httpRegistration(key: HttpRouteKey): [string, HttpFunctionOptions] {
  announceHttpAuth();
  const spec = HTTP_ROUTES[key];
  return [
    spec.name,
    {
      route: spec.route,
      methods: [spec.method],
      authLevel: 'function',
      extraInputs: [df.input.durableClient()],
      handler: (request, context) => httpApi()[key](request, context),
    },
  ];
}
