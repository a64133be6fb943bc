/**
 * The HTTP API's composition root: the handlers over the process's control plane, the durable client from
 * the invocation, and the app settings the API reads (DR_REQUIRE_PRINCIPAL, and WEBSITE_AUTH_ENABLED, which
 * Azure sets to True when App Service Authentication is on). `functions/http-*.ts` register routes through
 * `httpRegistration`, so each registration file stays one call.
 */
import type { HttpFunctionOptions, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane } from '../composition';
import { createHttpApi, type HttpHandler, type HttpApiSettings } from './api';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';

const isTrue = (v: string | undefined): boolean => (v ?? '').trim().toLowerCase() === 'true';

/**
 * Reads the API's settings; `true` (any case) turns a flag on. The principal header is trusted when App
 * Service Authentication is enabled (Azure sets WEBSITE_AUTH_ENABLED=True; Microsoft.Identity.Web reads the
 * same signal) or when `localTrust` says a local host vouches for it (installLocalPrincipalTrust).
 */
export function httpSettingsFrom(
  settings: Readonly<Record<string, string | undefined>>,
  localTrust = false,
): HttpApiSettings {
  return {
    requirePrincipal: isTrue(settings.DR_REQUIRE_PRINCIPAL),
    trustPrincipal: isTrue(settings.WEBSITE_AUTH_ENABLED) || localTrust,
  };
}

let localPrincipalTrust = false;

/**
 * For the in-process host (tests, the embedded `npm start`), which has no App Service Authentication in
 * front: believe x-ms-client-principal as if it had one. Deliberately code, not an app setting, so a
 * deployed app cannot be configured into trusting a header any key holder can write.
 */
export function installLocalPrincipalTrust(on: boolean): void {
  localPrincipalTrust = on;
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
    client: (context: InvocationContext) => df.getClient(context),
    // Read per request, so a changed app setting applies without a restart of this module.
    settings: () => httpSettingsFrom(process.env, localPrincipalTrust),
    now: () => clock(),
  });
  return api;
}

/** `app.http(...httpRegistration('status'))`: name, route, method, function-level key, durable client. */
export function httpRegistration(key: HttpRouteKey): [string, HttpFunctionOptions] {
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
