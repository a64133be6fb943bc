/**
 * The HTTP API's composition root: the handlers over the process's control plane, the durable client from
 * the invocation, and the app settings the API reads (DR_REQUIRE_PRINCIPAL). `functions/http-*.ts` register
 * routes through `httpRegistration`, so each registration file stays one call.
 */
import type { HttpFunctionOptions, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { controlPlane } from '../composition';
import { createHttpApi, type HttpHandler, type HttpApiSettings } from './api';
import { HTTP_ROUTES, type HttpRouteKey } from './routes';

/** Reads the API's settings; `true` (any case) turns the principal requirement on. */
export function httpSettingsFrom(settings: Readonly<Record<string, string | undefined>>): HttpApiSettings {
  return { requirePrincipal: (settings.DR_REQUIRE_PRINCIPAL ?? '').trim().toLowerCase() === 'true' };
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
    settings: () => httpSettingsFrom(process.env),
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
