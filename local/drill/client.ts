/** Thin HTTP clients for the drill: the control plane's `/api` and the simulator's `/sim`. */

export class DrillHttpError extends Error {
  override readonly name = 'DrillHttpError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${url} answered ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

async function call<T>(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown; okStatuses?: number[] } = {},
): Promise<HttpAnswer<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new DrillHttpError(method, url, 0, err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text for the message.
  }
  if (!(options.okStatuses ?? [200]).includes(res.status))
    throw new DrillHttpError(method, url, res.status, body);
  return { status: res.status, body: body as T };
}

/** `GET /api/status` as far as the drill reads it. */
export interface ApiStatus {
  planId: string;
  activeRegion: 'primary' | 'secondary';
  mode: string;
  recentProbes: { at: string; healthy: boolean }[];
  currentOperation: { operationId: string; direction: string; startedAt: string } | null;
  lastOperation: {
    operationId: string;
    direction: string;
    startedAt: string;
    finishedAt?: string;
    outcome?: string;
    measuredRtoMs?: number;
  } | null;
  pendingFences: string[];
}

/** `GET /api/operations/{id}`. */
export interface ApiOperation {
  operationId: string;
  runtimeStatus: string;
  status: string;
  record?: Record<string, unknown>;
}

export class ApiClient {
  constructor(
    /** e.g. `http://127.0.0.1:7071/api` */
    readonly baseUrl: string,
    private readonly functionKey: string,
  ) {}

  private headers(): Record<string, string> {
    return { 'x-functions-key': this.functionKey };
  }

  async status(): Promise<ApiStatus> {
    return (await call<ApiStatus>('GET', `${this.baseUrl}/status`, { headers: this.headers() })).body;
  }

  /** Answers 202 (accepted) or 409 (refused / conflict); anything else throws. */
  async failback(body: { reason: string; force?: boolean }): Promise<HttpAnswer<Record<string, unknown>>> {
    return call('POST', `${this.baseUrl}/failback`, {
      headers: this.headers(),
      body,
      okStatuses: [200, 202, 409],
    });
  }

  async operation(id: string): Promise<ApiOperation> {
    return (
      await call<ApiOperation>('GET', `${this.baseUrl}/operations/${encodeURIComponent(id)}`, {
        headers: this.headers(),
      })
    ).body;
  }
}

/** What `POST /sim/router/{entry}` answers: which region's workflow ran the call, or why none did. */
export interface RouterCallView {
  entry: string;
  /** `ran:<region>`, `refused:<status> <region>`, `unreachable <region>`, `nowhere`. */
  fate: string;
  outcome: 'ran' | 'refused' | 'unreachable' | 'nowhere';
  region?: string;
  status?: number;
  code?: string;
  why?: string;
  error?: string;
}

export interface SimInfo {
  armEndpoint: string;
  caCertPem: string;
  plan?: unknown;
  api?: { url: string; functionKey: string };
}

export class SimClient {
  constructor(
    /** e.g. `http://127.0.0.1:7072/sim` */
    readonly baseUrl: string,
    /** The control API's key (npm start prints it; DR_SIM_KEY). */
    private readonly key: string,
  ) {}

  private get<T>(path: string): Promise<HttpAnswer<T>> {
    return call<T>('GET', `${this.baseUrl}${path}`, { headers: { 'x-functions-key': this.key } });
  }

  async info(): Promise<SimInfo> {
    return (await this.get<SimInfo>('/info')).body;
  }

  async outage(location: string, fault: Record<string, unknown>): Promise<void> {
    await call('POST', `${this.baseUrl}/regions/${encodeURIComponent(location)}/outage`, {
      body: fault,
      headers: { 'x-functions-key': this.key },
    });
  }

  async restore(location: string): Promise<void> {
    await call('POST', `${this.baseUrl}/regions/${encodeURIComponent(location)}/restore`, {
      headers: { 'x-functions-key': this.key },
    });
  }

  async stateChanges(): Promise<
    { seq: number; workflowId: string; region: string; to: string; realTime: string }[]
  > {
    return (await this.get<{ stateChanges: [] }>('/state-changes')).body.stateChanges;
  }

  async runs(): Promise<{
    now: string;
    runs: { workflowId: string; region: string; origin: string; slotTime: string }[];
  }> {
    return (await this.get<{ now: string; runs: [] }>('/runs')).body;
  }

  /** `POST /sim/router/{entry}`: one caller's request through the entry's router, and what became of it. */
  async sendThroughRouter(entry: string): Promise<RouterCallView> {
    return (
      await call<RouterCallView>('POST', `${this.baseUrl}/router/${encodeURIComponent(entry)}`, {
        body: { drill: true },
        headers: { 'x-functions-key': this.key },
        // 502: the router sent the call somewhere that did not run it (or nowhere); the body says what.
        okStatuses: [200, 502],
      })
    ).body;
  }

  async notifications(): Promise<{ type: string; messageId?: string; time?: string }[]> {
    return (await this.get<{ notifications: [] }>('/notifications')).body.notifications;
  }
}
