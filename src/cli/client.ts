/** The CLI's view of a running Herald: the admin HTTP API, like gh or kubectl. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string) {
    // Errors print as one line on stderr, even when they quote input holding a newline (the server echoes values).
    super(message.replace(/\r\n|\r|\n/g, '\\n'));
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.token) throw new CliError('HERALD_API_TOKEN is not set: export the token the server was started with');
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl.replace(/\/?$/, '/')), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach Herald at ${this.baseUrl} (${(error as Error).cause ? String((error as { cause: Error }).cause.message) : (error as Error).message}); is \`herald serve\` running? set --url or HERALD_URL`,
      );
    }
    const text = await response.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text ?? response.statusText;
      throw new CliError(`${response.status}: ${message}`);
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
