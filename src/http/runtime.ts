/**
 * How `functions/http-*.ts` register routes (through the composition root's `httpRegistration`, so each
 * registration file stays one call): the handlers over the dependencies the root passes in, the durable client
 * from the invocation, and how the API's app settings read (DR_REQUIRE_PRINCIPAL, DR_KEY_IS_OPERATOR, and
 * WEBSITE_AUTH_ENABLED, which Azure sets to True when App Service Authentication is on). Only the root reads
 * them from the environment.
 */
import type { HttpFunctionOptions, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createHttpApi, type HttpApiDeps, type HttpHandler, type HttpApiSettings } from './api';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';

const isTrue = (v: string | undefined): boolean => (v ?? '').trim().toLowerCase() === 'true';

/** What a local host without App Service Authentication vouches for in code (never through a setting). */
export interface LocalTrust {
  /** Believe x-ms-client-principal (the composition root's installLocalPrincipalTrust). */
  principal?: boolean;
  /** Let a function key alone operate (the composition root's installLocalKeyIsOperator). */
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

export interface HttpRegistrationDeps {
  /** The handlers' dependencies, from the composition root; the durable client comes from each invocation. */
  api: Omit<HttpApiDeps, 'client'>;
  /** What to warn about when the first route is registered (keyIsOperatorWarning), if anything. */
  startupWarning: () => string | undefined;
  log?: Pick<Console, 'warn'>;
}

/**
 * `app.http(...httpRegistration('status'))`: name, route, method, function-level key, durable client. The
 * handlers are built on the first request; the start-up warning is logged once, at the first registration.
 */
export function createHttpRegistration(
  deps: HttpRegistrationDeps,
): (key: HttpRouteKey) => [string, HttpFunctionOptions] {
  let announced = false;
  let api: Record<HttpRouteKey, HttpHandler> | undefined;
  const httpApi = () =>
    (api ??= createHttpApi({ ...deps.api, client: (context: InvocationContext) => df.getClient(context) }));
  return (key) => {
    if (!announced) {
      announced = true;
      const warning = deps.startupWarning();
      if (warning) (deps.log ?? console).warn(`HTTP API: ${warning}`);
    }
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
  };
}
