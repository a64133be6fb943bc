import { createHash, randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  type Server as HttpServer,
} from 'node:http';
import { type Agent } from 'node:https';
import { createArmAgent } from '../../../src/adapters/arm/agent';
import { generateSimCertificates } from './cert';
import { type RealTimeSource, VirtualClock } from './clock';
import { ArmError, SimInputError, SimStateError } from './errors';
import { Estate } from './estate';
import {
  FaultBoard,
  parseRegionFault,
  type RegionFaultInput,
  type RegionFaultKind,
  type RegionFaultState,
} from './faults';
import { readBody, redactSignature, sleep, TrackedHttpsListener } from './listener';
import { normaliseLocation } from './location';
import { type SimPlan, type SimRun, type SimWorkflowState, type StateChange } from './model';
import { type ArmResponse, ArmRouter, describeArmPath } from './routes';
import { handleCallback } from './runtime';
import { type RouteNow } from './routers';
import { type SimSeed } from './seed';
import { createSimControlHandler } from './control';
import { ArmThrottle, categoryOf, type ThrottleLimits } from './throttle';
import { linkedGrantsNeeded, linkedResourcesOf } from '../../../src/core/linked-resources';

/** The request body, or undefined after dropping a connection whose body could not be read. */
async function readBodyOrDrop(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  try {
    return await readBody(req);
  } catch {
    res.socket?.destroy();
    return undefined;
  }
}

export interface ArmSimulatorOptions {
  /** Resources to create before the listeners open. */
  seed?: SimSeed;
  /** Initial virtual time (default: the real time at start, to the second). */
  now?: Date;
  /** Latency added to every ARM and runtime request (benchmarks use 100 ms). */
  latencyMs?: number;
  /** Token-bucket limits per subscription; default ARM's (reads 250 + 25/s, writes and deletes 200 + 10/s). */
  throttle?: Partial<ThrottleLimits>;
  /** Real-time source for throttling and log timestamps (tests inject one to avoid sleeping). */
  realNow?: RealTimeSource;
  /**
   * Seed for the `errors` fault. Each draw is keyed by the request (method and path) and how many times that
   * request was made, so a seed reproduces the same faults whatever order concurrent requests arrive in.
   * Unseeded, draws come from `Math.random`.
   */
  faultSeed?: number;
  /** Page size of list operations when the client sends no `$top`. */
  defaultPageSize?: number;
  /** Keep every ARM response body in the request log (contract tests validate them). */
  recordBodies?: boolean;
  /**
   * Sees every answered ARM response (body text with `sig` redacted) as it is sent, without keeping it: long
   * runs validate responses against the spec as they go instead of holding every body in the log.
   */
  onArmResponse?: (response: ArmResponseRecord) => void;
  /** ARM listener port (default 0: a free port). */
  port?: number;
  /** Also start the plain-http control listener (see createSimControlHandler) on this port (0 = free port). */
  controlPort?: number;
  /** Extra fields for `GET /sim/info` when `controlPort` is set. */
  controlInfo?: Record<string, unknown>;
  /** Advance the virtual clock with real time every this many ms (for `npm start`); off by default. */
  followRealTimeMs?: number;
  /**
   * What the caller's roles allow beyond each workflow's own. `listWorkflows: false` is the default deployment
   * (roles on single workflows): listing a resource group's workflows is refused with 403 AuthorizationFailed,
   * as ARM refuses it without `Microsoft.Logic/workflows/read` on the group. Default: allowed.
   */
  grants?: {
    listWorkflows?: boolean;
    /**
     * Ids of the API connections, user-assigned identities and integration accounts on which the caller holds
     * join/assign (the roles infra/rbac.bicep assigns on them). When given, a workflow PUT that references
     * any other is refused with 403 LinkedAuthorizationFailed, as ARM checks each linked resource besides
     * workflows/write. Default: not checked (every link allowed).
     */
    linkedResources?: Iterable<string>;
  };
}

/** One request as the simulator saw it. `path` includes the query string with `sig` redacted. */
export interface RequestLogEntry {
  seq: number;
  listener: 'arm' | 'runtime';
  realTime: string;
  virtualTime: string;
  method: string;
  path: string;
  region?: string;
  subscriptionId?: string;
  /** HTTP status when answered. */
  status?: number;
  /** `reset`: socket destroyed (region down, refused); `held`: never answered (region down, hang). */
  outcome: 'answered' | 'reset' | 'held';
  errorCode?: string;
  durationMs: number;
  /**
   * Which TLS connection of its listener the request came in on (1, 2, ...): requests with the same number
   * shared one kept-alive connection, and a number not seen before is a new TLS handshake.
   */
  connection?: number;
  /** Response body text, only with `recordBodies`. */
  responseBody?: string;
}

/** One answered ARM response, for `onArmResponse`. `path` includes the query string, `sig` redacted. */
export interface ArmResponseRecord {
  method: string;
  path: string;
  status: number;
  body: string;
}

/** A workflow as `GET /sim/workflows` and `sim.workflows()` report it. */
export interface SimWorkflowSummary {
  id: string;
  name: string;
  plan: SimPlan;
  subscriptionId: string;
  resourceGroup: string;
  site?: string;
  region: string;
  state: SimWorkflowState;
  version: string;
  triggers: { name: string; type: string }[];
}

export interface ArmSimulator {
  /** `https://127.0.0.1:<port>`: the ARM endpoint for SDK clients. */
  readonly armEndpoint: string;
  /** PEM of the CA that signed every listener's certificate. */
  readonly caCertPem: string;
  /** An https.Agent trusting `caCertPem` (the control plane's pooled keep-alive agent); destroyed by `stop()`. */
  readonly agent: Agent;
  /** `http://127.0.0.1:<port>` of the control listener when `controlPort` was given. */
  readonly controlEndpoint: string | undefined;
  readonly clock: { now(): Date };
  /** Moves virtual time forward and fires due recurrences; returns the runs recorded. */
  advanceTo(to: Date): SimRun[];
  advanceBy(ms: number): SimRun[];
  seed(seed: SimSeed): Promise<void>;
  /** Injects a fault into a region (`West Europe` and `westeurope` are the same region). */
  outage(location: string, fault: RegionFaultInput): void;
  /** Clears one fault kind, or every fault of the region. */
  restore(location: string, kind?: RegionFaultKind): void;
  /** Resolves once listeners closed or reopened by outage/restore are done (a restored runtime accepts again). */
  settle(): Promise<void>;
  faults(): Record<string, RegionFaultState>;
  configureThrottle(limits: Partial<ThrottleLimits>): void;
  setLatency(ms: number): void;
  regions(): string[];
  /** `https://127.0.0.1:<port>` of a region's runtime (callback) listener. */
  runtimeEndpoint(location: string): string | undefined;
  workflows(): SimWorkflowSummary[];
  /** Every run, oldest slot first. */
  runs(): SimRun[];
  /** Starts a run that stays `Running` (visible to `runs?$filter=status eq 'Running'`) until finishRun. */
  startLongRun(workflowId: string, trigger?: string): SimRun;
  finishRun(runIdOrName: string, status?: 'Succeeded' | 'Failed' | 'Cancelled'): SimRun;
  requestLog(): RequestLogEntry[];
  clearRequestLog(): void;
  stateChanges(): StateChange[];
  /**
   * Where a call sent through a router goes now (its data plane): an APIM backend's or API's URL with the
   * query it adds, or the Front Door origin / Traffic Manager endpoint it picks; `nowhere` when none.
   */
  routeNow(router: SimRouterRef): RouteNow;
  stop(): Promise<void>;
}

/** A router's switchable part: an APIM backend or API, a Front Door origin group, a Traffic Manager profile. */
export interface SimRouterRef {
  kind: 'apiManagement' | 'frontDoor' | 'trafficManager';
  subscriptionId: string;
  resourceGroup: string;
  /** The APIM service, Front Door profile or Traffic Manager profile. */
  name: string;
  /** The backend or API (APIM), origin group (Front Door); ignored for Traffic Manager. */
  part: string;
}

const AUTH_HEADER = /^Bearer\s+\S+/i;

/** Starts the two-region (or n-region) ARM + Logic Apps runtime simulator over real HTTPS on 127.0.0.1. */
export async function startArmSimulator(options: ArmSimulatorOptions = {}): Promise<ArmSimulator> {
  const sim = new ArmSimulatorImpl(options, await generateSimCertificates());
  try {
    await sim.start(options);
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return sim;
}

interface HeldRequest {
  region: string;
  res: ServerResponse;
  entry: RequestLogEntry;
  startedAt: number;
}

class ArmSimulatorImpl implements ArmSimulator {
  readonly caCertPem: string;
  readonly agent: Agent;
  readonly clock: VirtualClock;
  private readonly realNow: RealTimeSource;
  private readonly faultDraw: (key: string) => [number, number];
  private readonly requestCounts = new Map<string, number>();
  private readonly estate: Estate;
  private readonly faultBoard = new FaultBoard();
  private readonly throttle: ArmThrottle;
  private readonly router: ArmRouter;
  private readonly armListener: TrackedHttpsListener;
  private readonly runtimeListeners = new Map<string, TrackedHttpsListener>();
  private readonly held = new Set<HeldRequest>();
  private readonly log: RequestLogEntry[] = [];
  private readonly tls: { cert: string; key: string };
  private readonly recordBodies: boolean;
  private readonly onArmResponse: ((response: ArmResponseRecord) => void) | undefined;
  private latencyMs: number;
  private logSeq = 0;
  private controlServer: HttpServer | undefined;
  private controlUrl: string | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listWorkflowsGranted: boolean;
  private readonly linkedGranted: Set<string> | undefined;
  /** Listener open/close steps caused by faults, in order. */
  private transitions: Promise<void> = Promise.resolve();
  private transitionError: unknown;

  constructor(
    options: ArmSimulatorOptions,
    certs: { caCertPem: string; serverCertPem: string; serverKeyPem: string },
  ) {
    this.caCertPem = certs.caCertPem;
    this.tls = { cert: certs.serverCertPem, key: certs.serverKeyPem };
    this.agent = createArmAgent({ ca: certs.caCertPem });
    this.realNow = options.realNow ?? Date.now;
    this.faultDraw = keyedDraw(options.faultSeed);
    this.latencyMs = checkLatency(options.latencyMs ?? 0, 'latencyMs');
    this.recordBodies = options.recordBodies ?? false;
    this.onArmResponse = options.onArmResponse;
    this.listWorkflowsGranted = options.grants?.listWorkflows ?? true;
    const linked = options.grants?.linkedResources;
    this.linkedGranted = linked ? new Set([...linked].map((id) => id.toLowerCase())) : undefined;
    const start = options.now ?? new Date(Math.floor(this.realNow() / 1000) * 1000);
    this.clock = new VirtualClock(start);
    this.estate = new Estate({
      clock: this.clock,
      realNow: this.realNow,
      isRegionUp: (region) => this.faultBoard.get(region).down === undefined,
    });
    this.throttle = new ArmThrottle(options.throttle ?? {}, this.realNow);
    const pageSize = options.defaultPageSize ?? 50;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new SimInputError('defaultPageSize', `must be an integer >= 1, got ${String(pageSize)}`);
    }
    this.router = new ArmRouter({
      estate: this.estate,
      routers: this.estate.routers,
      clock: this.clock,
      armBaseUrl: () => this.armEndpoint,
      runtimeBaseUrl: (region) => this.ensureRuntime(region),
      runtimeEndpoint: (region) => this.runtimeEndpoint(region),
      defaultPageSize: pageSize,
    });
    this.armListener = new TrackedHttpsListener(this.tls, (req, res) => void this.serveArm(req, res));
    this.faultBoard.onChange((region, state) => this.onFaultChange(region, state));
  }

  async start(options: ArmSimulatorOptions): Promise<void> {
    if (options.seed) this.estate.seed(options.seed);
    await this.armListener.open(options.port ?? 0);
    for (const region of this.estate.regions()) await this.ensureRuntime(region);
    if (options.controlPort !== undefined) {
      const server = createHttpServer(createSimControlHandler(this, options.controlInfo));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.controlPort, '127.0.0.1', () => resolve());
      });
      this.controlServer = server;
      const address = server.address();
      if (address && typeof address === 'object') this.controlUrl = `http://127.0.0.1:${address.port}`;
    }
    if (options.followRealTimeMs !== undefined) {
      const interval = checkLatency(options.followRealTimeMs, 'followRealTimeMs');
      let last = this.realNow();
      this.followTimer = setInterval(
        () => {
          const now = this.realNow();
          this.advanceBy(Math.max(0, now - last));
          last = now;
        },
        Math.max(10, interval),
      );
      this.followTimer.unref();
    }
  }

  get armEndpoint(): string {
    return `https://127.0.0.1:${this.armListener.port}`;
  }

  get controlEndpoint(): string | undefined {
    return this.controlUrl;
  }

  // ---- public API -------------------------------------------------------------------------------------------

  advanceTo(to: Date): SimRun[] {
    this.assertRunning();
    this.clock.set(to);
    return this.estate.fireRecurrences(this.clock.now());
  }

  advanceBy(ms: number): SimRun[] {
    if (!Number.isFinite(ms) || ms < 0)
      throw new SimInputError('advanceBy.ms', `must be a number >= 0, got ${ms}`);
    return this.advanceTo(new Date(this.clock.now().getTime() + ms));
  }

  async seed(seed: SimSeed): Promise<void> {
    this.assertRunning();
    this.estate.seed(seed);
    for (const region of this.estate.regions()) await this.ensureRuntime(region);
  }

  outage(location: string, fault: RegionFaultInput): void {
    this.faultBoard.apply(location, parseRegionFault(fault, `outage(${location})`));
  }

  restore(location: string, kind?: RegionFaultKind): void {
    this.faultBoard.restore(location, kind);
  }

  faults(): Record<string, RegionFaultState> {
    return this.faultBoard.all();
  }

  configureThrottle(limits: Partial<ThrottleLimits>): void {
    this.throttle.configure(limits);
  }

  setLatency(ms: number): void {
    this.latencyMs = checkLatency(ms, 'latencyMs');
  }

  regions(): string[] {
    return this.estate.regions();
  }

  runtimeEndpoint(location: string): string | undefined {
    const listener = this.runtimeListeners.get(normaliseLocation(location));
    return listener ? `https://127.0.0.1:${listener.port}` : undefined;
  }

  workflows(): SimWorkflowSummary[] {
    return this.estate.allWorkflows().map((wf) => ({
      id: wf.id,
      name: wf.name,
      plan: wf.plan,
      subscriptionId: wf.subscriptionId,
      resourceGroup: wf.resourceGroup,
      ...(wf.site !== undefined ? { site: wf.site } : {}),
      region: wf.location,
      state: wf.state,
      version: wf.version,
      triggers: wf.triggers.map((t) => ({ name: t.name, type: t.type })),
    }));
  }

  runs(): SimRun[] {
    return this.estate.runs().map((r) => ({ ...r }));
  }

  startLongRun(workflowId: string, trigger?: string): SimRun {
    const wf = this.estate.findWorkflowById(workflowId);
    if (!wf) throw new SimInputError('startLongRun.workflowId', `no workflow has id '${workflowId}'`);
    const triggerName = trigger ?? wf.triggers[0]?.name ?? 'manual';
    return { ...this.estate.recordRun(wf, triggerName, 'long-run', { status: 'Running' }) };
  }

  finishRun(runIdOrName: string, status: 'Succeeded' | 'Failed' | 'Cancelled' = 'Succeeded'): SimRun {
    return { ...this.estate.finishRun(runIdOrName, status) };
  }

  requestLog(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  clearRequestLog(): void {
    this.log.length = 0;
  }

  stateChanges(): StateChange[] {
    return this.estate.stateChangeLog();
  }

  routeNow(router: SimRouterRef): RouteNow {
    return this.estate.routers.route(
      router.kind,
      router.subscriptionId,
      router.resourceGroup,
      router.name,
      router.part,
      (origin) => this.regions().find((r) => this.runtimeEndpoint(r) === origin),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.followTimer) clearInterval(this.followTimer);
    this.releaseHeld(() => true);
    await this.transitions;
    await this.armListener.close();
    await Promise.all([...this.runtimeListeners.values()].map((l) => l.close()));
    if (this.controlServer) {
      const server = this.controlServer;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.agent.destroy();
  }

  // ---- listeners --------------------------------------------------------------------------------------------

  private assertRunning(): void {
    if (this.stopped) throw new SimStateError('The ARM simulator has been stopped.');
  }

  /** Opens (once) the runtime listener of a region and returns its base URL. */
  private async ensureRuntime(location: string): Promise<string> {
    const region = normaliseLocation(location);
    let listener = this.runtimeListeners.get(region);
    if (!listener) {
      listener = new TrackedHttpsListener(this.tls, (req, res) => void this.serveRuntime(region, req, res));
      this.runtimeListeners.set(region, listener);
      // Open once even for a region that is down, so its port (and callback URLs) exist before it recovers.
      await listener.open(0);
      if (this.faultBoard.get(region).down === 'refused') await listener.close();
    }
    return `https://127.0.0.1:${listener.port}`;
  }

  private onFaultChange(region: string, state: RegionFaultState): void {
    if (this.stopped) return;
    if (state.down !== 'hang') this.releaseHeld((h) => h.region === region);
    const listener = this.runtimeListeners.get(region);
    if (!listener) return;
    // Closing starts synchronously (connections are refused at once); reopening is queued and awaited by settle().
    if (state.down === 'refused') this.queue(() => listener.close());
    else if (!listener.listening) this.queue(() => listener.open());
  }

  private queue(step: () => Promise<unknown>): void {
    const run = this.transitions.then(step);
    this.transitions = run.then(
      () => undefined,
      (error: unknown) => {
        this.transitionError = error;
      },
    );
  }

  async settle(): Promise<void> {
    await this.transitions;
    const error = this.transitionError;
    this.transitionError = undefined;
    if (error !== undefined)
      throw error instanceof Error
        ? error
        : new SimStateError('A runtime listener failed to close or reopen.');
  }

  /** Cuts held (hanging) connections: the client sees a reset, as when a hung region finally drops them. */
  private releaseHeld(which: (h: HeldRequest) => boolean): void {
    for (const h of [...this.held]) {
      if (!which(h)) continue;
      this.held.delete(h);
      h.entry.durationMs = this.realNow() - h.startedAt;
      h.res.socket?.destroy();
    }
  }

  // ---- request pipeline ----------------------------------------------------------------------------------------

  private async serveArm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = this.realNow();
    const url = new URL(req.url ?? '/', this.armEndpoint);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBodyOrDrop(req, res);
    if (body === undefined) return;
    const info = describeArmPath(url.pathname);
    const region = this.regionOf(info, method, body);
    const entry = this.newEntry(
      'arm',
      method,
      url,
      region,
      info.subscriptionId,
      this.armListener.connectionOf(req.socket),
    );
    if (!this.applyDown(region, res, entry, startedAt)) return;
    await sleep(this.latencyMs + (region ? this.faultBoard.get(region).slowMs : 0));

    const headers: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': req.headers['x-ms-correlation-request-id']?.toString() ?? randomUUID(),
    };
    let response: ArmResponse;
    try {
      response = await this.armResponse(req, method, url, body, info, region, headers);
    } catch (error) {
      response =
        error instanceof ArmError
          ? { status: error.status, headers: error.headers, body: error.toBody() }
          : {
              status: 500,
              body: {
                error: {
                  code: 'InternalServerError',
                  message: `ARM simulator failure: ${error instanceof Error ? error.message : String(error)}`,
                },
              },
            };
    }
    this.finish(res, entry, startedAt, { ...response, headers: { ...headers, ...response.headers } });
  }

  private async armResponse(
    req: IncomingMessage,
    method: string,
    url: URL,
    body: string,
    info: ReturnType<typeof describeArmPath>,
    region: string | undefined,
    headers: Record<string, string>,
  ): Promise<ArmResponse> {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !AUTH_HEADER.test(auth)) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.",
        {
          'www-authenticate':
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
        },
      );
    }
    if (
      !this.listWorkflowsGranted &&
      method === 'GET' &&
      info.provider === 'logic' &&
      info.name === undefined &&
      info.resourceGroup !== undefined
    ) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client does not have authorization to perform action 'Microsoft.Logic/workflows/read' over scope '/subscriptions/${info.subscriptionId}/resourceGroups/${info.resourceGroup}' or the scope is invalid.`,
      );
    }
    if (method === 'PUT' && info.provider === 'logic' && info.name !== undefined && info.rest.length === 0)
      this.checkLinkedAuthorization(url, body);
    if (info.subscriptionId) {
      const category = categoryOf(method);
      const decision = this.throttle.take(info.subscriptionId, category);
      headers[`x-ms-ratelimit-remaining-subscription-${category}`] = String(decision.remaining);
      if (!decision.allowed) {
        const retryAfter = String(decision.retryAfterSeconds ?? 1);
        throw new ArmError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of '${category}' requests for subscription '${info.subscriptionId}' exceeded. Please try again after '${retryAfter}' seconds.`,
          { 'retry-after': retryAfter },
        );
      }
    }
    if (region) {
      const faults = this.faultBoard.get(region);
      if (faults.throttled) {
        const retryAfter = String(faults.throttled.retryAfterSeconds);
        throw new ArmError(
          429,
          'SubscriptionRequestsThrottled',
          `Requests for region '${region}' are throttled (simulated). Please try again after '${retryAfter}' seconds.`,
          { 'retry-after': retryAfter },
        );
      }
      const draw = faults.errors ? this.drawFor(method, url) : undefined;
      if (faults.errors && draw && draw[0] < faults.errors.rate) {
        const statuses = faults.errors.statuses;
        const status = statuses[Math.min(statuses.length - 1, Math.floor(draw[1] * statuses.length))] ?? 500;
        throw new ArmError(
          status,
          status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
          `Simulated ${status} for region '${region}'.`,
        );
      }
    }
    const ifMatch = req.headers['if-match'];
    return this.router.handle({ method, url, body, ...(typeof ifMatch === 'string' ? { ifMatch } : {}) });
  }

  /**
   * ARM authorizes a workflow PUT on the workflow (workflows/write) and, separately, on every resource the body
   * links: each `$connections` connection, each user-assigned identity, the integration account.
   */
  private checkLinkedAuthorization(url: URL, body: string): void {
    const granted = this.linkedGranted;
    if (!granted) return;
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return; // the router answers the malformed body
    }
    if (typeof doc !== 'object' || doc === null) return;
    const w = doc as {
      identity?: { userAssignedIdentities?: Record<string, unknown> };
      properties?: { parameters?: Record<string, unknown>; integrationAccount?: { id?: unknown } };
    };
    const account = w.properties?.integrationAccount?.id;
    const needed = linkedGrantsNeeded(
      linkedResourcesOf({
        parameters: w.properties?.parameters,
        identity: w.identity,
        integrationAccountId: typeof account === 'string' ? account : undefined,
      }),
    );
    const missing = needed.filter((n) => !granted.has(n.id.toLowerCase()));
    if (missing.length === 0) return;
    throw new ArmError(
      403,
      'LinkedAuthorizationFailed',
      `The client has permission to perform action 'Microsoft.Logic/workflows/write' on scope '${url.pathname}', however, it does not have permission to perform action(s) '${missing.map((m) => m.action).join(',')}' on the linked scope(s) '${missing.map((m) => m.id).join(',')}' (respectively) or the linked scope(s) are invalid.`,
    );
  }

  /** Two draws in [0, 1) for the n-th time this method and path are requested. */
  private drawFor(method: string, url: URL): [number, number] {
    const key = `${method} ${url.pathname.toLowerCase()}`;
    const n = (this.requestCounts.get(key) ?? 0) + 1;
    this.requestCounts.set(key, n);
    return this.faultDraw(`${key}#${n}`);
  }

  private async serveRuntime(region: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = this.realNow();
    const url = new URL(req.url ?? '/', `https://127.0.0.1:${this.runtimeListeners.get(region)?.port ?? 0}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBodyOrDrop(req, res);
    if (body === undefined) return;
    const entry = this.newEntry(
      'runtime',
      method,
      url,
      region,
      undefined,
      this.runtimeListeners.get(region)?.connectionOf(req.socket),
    );
    if (!this.applyDown(region, res, entry, startedAt)) return;
    const faults = this.faultBoard.get(region);
    await sleep(this.latencyMs + faults.slowMs);
    let response: ArmResponse;
    try {
      response = handleCallback({ method, url, body }, { estate: this.estate, region, faults });
    } catch (error) {
      response =
        error instanceof ArmError
          ? { status: error.status, headers: error.headers, body: error.toBody() }
          : { status: 500, body: { error: { code: 'InternalServerError', message: String(error) } } };
    }
    this.finish(res, entry, startedAt, response);
  }

  /** Applies a `down` fault; returns false when the request must not be answered. */
  private applyDown(
    region: string | undefined,
    res: ServerResponse,
    entry: RequestLogEntry,
    startedAt: number,
  ): boolean {
    const down = region ? this.faultBoard.get(region).down : undefined;
    if (down === 'refused') {
      entry.outcome = 'reset';
      entry.durationMs = this.realNow() - startedAt;
      res.socket?.destroy();
      return false;
    }
    if (down === 'hang' && region) {
      entry.outcome = 'held';
      this.held.add({ region, res, entry, startedAt });
      return false;
    }
    return true;
  }

  private regionOf(
    info: ReturnType<typeof describeArmPath>,
    method: string,
    body: string,
  ): string | undefined {
    if (!info.subscriptionId || !info.resourceGroup || !info.provider) return undefined;
    if (info.name !== undefined) {
      const resource = this.estate.resourceRegion(
        info.subscriptionId,
        info.resourceGroup,
        info.provider,
        info.name,
      );
      if (resource !== undefined) return resource;
    }
    if (method === 'PUT' && info.provider === 'logic' && info.name !== undefined && info.rest.length === 0) {
      // A create is routed to the region it names.
      try {
        const location = (JSON.parse(body) as { location?: unknown }).location;
        if (typeof location === 'string') return normaliseLocation(location);
      } catch {
        // Invalid JSON is reported by the router.
      }
    }
    return this.estate.resourceGroupRegion(info.subscriptionId, info.resourceGroup);
  }

  private newEntry(
    listener: 'arm' | 'runtime',
    method: string,
    url: URL,
    region: string | undefined,
    subscriptionId: string | undefined,
    connection: number | undefined,
  ): RequestLogEntry {
    this.logSeq += 1;
    const entry: RequestLogEntry = {
      seq: this.logSeq,
      listener,
      realTime: new Date(this.realNow()).toISOString(),
      virtualTime: this.clock.now().toISOString(),
      method,
      path: redactSignature(`${url.pathname}${url.search}`),
      ...(region !== undefined ? { region } : {}),
      ...(subscriptionId !== undefined ? { subscriptionId } : {}),
      outcome: 'answered',
      durationMs: 0,
      ...(connection !== undefined ? { connection } : {}),
    };
    this.log.push(entry);
    return entry;
  }

  private finish(
    res: ServerResponse,
    entry: RequestLogEntry,
    startedAt: number,
    response: ArmResponse,
  ): void {
    let text = '';
    let contentType: string | undefined;
    if (typeof response.body === 'string') {
      text = response.body;
      contentType = 'text/plain; charset=utf-8';
    } else if (response.body !== undefined) {
      text = JSON.stringify(response.body);
      contentType = 'application/json; charset=utf-8';
    }
    entry.status = response.status;
    entry.durationMs = this.realNow() - startedAt;
    if (response.status >= 400 && typeof response.body === 'object' && response.body !== null) {
      const code = (response.body as { error?: { code?: unknown } }).error?.code;
      if (typeof code === 'string') entry.errorCode = code;
    }
    if (entry.listener === 'arm' && (this.recordBodies || this.onArmResponse)) {
      const body = redactSignature(text);
      if (this.recordBodies) entry.responseBody = body;
      this.onArmResponse?.({ method: entry.method, path: entry.path, status: response.status, body });
    }
    if (res.destroyed || res.socket?.destroyed) return;
    res.writeHead(response.status, {
      ...response.headers,
      ...(contentType ? { 'content-type': contentType } : {}),
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }
}

function checkLatency(ms: number, where: string): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new SimInputError(where, `must be a number of ms >= 0, got ${ms}`);
  return ms;
}

function keyedDraw(seed: number | undefined): (key: string) => [number, number] {
  if (seed === undefined) return () => [Math.random(), Math.random()];
  return (key) => {
    const hash = createHash('sha256').update(`${seed}:${key}`).digest();
    return [hash.readUInt32BE(0) / 2 ** 32, hash.readUInt32BE(4) / 2 ** 32];
  };
}
