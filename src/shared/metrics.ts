/**
 * A small Prometheus-style metrics registry: counters and histograms with labels, rendered
 * in the text exposition format. Hot paths only increment numbers in a Map.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** A value that goes up and down (servers up, tools offered); `remove` drops a series. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  remove(labels?: Labels): void;
}

interface CounterDef {
  readonly kind: 'counter';
  readonly help: string;
  readonly values: Map<string, number>;
}

interface GaugeDef {
  readonly kind: 'gauge';
  readonly help: string;
  readonly values: Map<string, number>;
}

interface HistogramDef {
  readonly kind: 'histogram';
  readonly help: string;
  readonly buckets: readonly number[];
  readonly series: Map<string, { counts: number[]; sum: number; count: number }>;
}

function labelKey(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

function withLabels(name: string, key: string, extra?: string): string {
  const parts = [key, extra].filter((part) => part !== undefined && part !== '');
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

export class MetricsRegistry {
  private readonly defs = new Map<string, CounterDef | GaugeDef | HistogramDef>();

  counter(name: string, help: string): Counter {
    const def: CounterDef = { kind: 'counter', help, values: new Map() };
    this.defs.set(name, def);
    return {
      inc: (labels, by = 1) => {
        const key = labelKey(labels);
        def.values.set(key, (def.values.get(key) ?? 0) + by);
      },
    };
  }

  gauge(name: string, help: string): Gauge {
    const def: GaugeDef = { kind: 'gauge', help, values: new Map() };
    this.defs.set(name, def);
    return {
      set: (value, labels) => {
        def.values.set(labelKey(labels), value);
      },
      remove: (labels) => {
        def.values.delete(labelKey(labels));
      },
    };
  }

  /** `buckets` are upper bounds in the histogram's unit (e.g. seconds), ascending. */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const def: HistogramDef = { kind: 'histogram', help, buckets, series: new Map() };
    this.defs.set(name, def);
    return {
      observe: (value, labels) => {
        const key = labelKey(labels);
        const series = def.series.get(key) ?? { counts: buckets.map(() => 0), sum: 0, count: 0 };
        def.series.set(key, series);
        buckets.forEach((bound, index) => {
          if (value <= bound) series.counts[index] = (series.counts[index] ?? 0) + 1;
        });
        series.sum += value;
        series.count += 1;
      },
    };
  }

  /** Current value of a counter or gauge series (for tests and status pages). */
  value(name: string, labels?: Labels): number {
    const def = this.defs.get(name);
    return def?.kind === 'counter' || def?.kind === 'gauge'
      ? (def.values.get(labelKey(labels)) ?? 0)
      : 0;
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const lines: string[] = [];
    for (const [name, def] of this.defs) {
      lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.kind}`);
      if (def.kind === 'gauge') {
        for (const [key, value] of def.values) lines.push(`${withLabels(name, key)} ${value}`);
        continue;
      }
      if (def.kind === 'counter') {
        if (def.values.size === 0) lines.push(`${name} 0`);
        for (const [key, value] of def.values) lines.push(`${withLabels(name, key)} ${value}`);
        continue;
      }
      for (const [key, series] of def.series) {
        def.buckets.forEach((bound, index) => {
          lines.push(
            `${withLabels(`${name}_bucket`, key, `le="${bound}"`)} ${series.counts[index] ?? 0}`,
          );
        });
        lines.push(`${withLabels(`${name}_bucket`, key, 'le="+Inf"')} ${series.count}`);
        lines.push(
          `${withLabels(`${name}_sum`, key)} ${series.sum}`,
          `${withLabels(`${name}_count`, key)} ${series.count}`,
        );
      }
    }
    return lines.join('\n') + '\n';
  }
}

/** The daemon's metrics, created once and passed to the components that update them. */
export class QuorumMetrics {
  readonly registry = new MetricsRegistry();
  readonly eventsReceived = this.registry.counter(
    'quorum_events_received_total',
    'Events admitted to the ingress journal, by type.',
  );
  readonly decisions = this.registry.counter(
    'quorum_dispatch_decisions_total',
    'Dispatcher decisions, by kind and reason.',
  );
  readonly repliesSent = this.registry.counter(
    'quorum_replies_sent_total',
    'Replies whose text became final, by responder and outcome.',
  );
  readonly replyLatency = this.registry.histogram(
    'quorum_reply_latency_seconds',
    'Time from the source event to the first visible reply text.',
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  readonly syncRestarts = this.registry.counter(
    'quorum_sync_restarts_total',
    'Bot sync loop restarts, by bot.',
  );
  readonly syncErrors = this.registry.counter(
    'quorum_sync_errors_total',
    'Failed /sync requests, by bot.',
  );
  readonly rateLimited = this.registry.counter(
    'quorum_rate_limited_total',
    'M_LIMIT_EXCEEDED responses, by bot.',
  );
  readonly modelCalls = this.registry.counter(
    'quorum_model_calls_total',
    'Model calls, by model and outcome.',
  );
  readonly tokens = this.registry.counter(
    'quorum_tokens_total',
    'Model tokens, by direction, responder and model.',
  );
  readonly errors = this.registry.counter('quorum_errors_total', 'Errors, by where they happened.');
  /**
   * Config reloads, by `outcome`: `applied` (the plan changed something), `unchanged` (a valid
   * config with nothing to do), `invalid` (the file did not parse or validate; the running
   * config stays) or `failed` (applying the plan threw). One per new version of the file that
   * the watcher emits, or per SIGHUP.
   */
  readonly configReloads = this.registry.counter(
    'quorum_config_reloads_total',
    'Config reloads, by outcome (applied, unchanged, invalid, failed).',
  );

  /**
   * Schedule due times the scheduler acted on, by `kind` (`fire`, or a notice: `missed`,
   * `revoked`, `failed`) and `outcome` (`delivered`, `retried`, `gave_up`).
   */
  readonly scheduleFires = this.registry.counter(
    'quorum_schedule_fires_total',
    'Schedule due times acted on, by kind (fire, missed, revoked, failed) and outcome.',
  );
  readonly scheduleFireDelay = this.registry.histogram(
    'quorum_schedule_fire_delay_seconds',
    "Time from a schedule's due time to the pipeline accepting its fire.",
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300],
  );
  /** OpenAI-compatible API requests, by `route` and HTTP `status`. */
  readonly openAiRequests = this.registry.counter(
    'quorum_openai_requests_total',
    'OpenAI-compatible API requests, by route and status.',
  );

  /**
   * MCP tool calls, by `server` and `outcome`: `ok`, `tool_error` (the server answered with
   * `isError`), `timeout`, `connection`, `rpc`, `unavailable`, `busy` or `aborted`.
   */
  readonly mcpCalls = this.registry.counter(
    'quorum_mcp_calls_total',
    'MCP tool calls, by server and outcome.',
  );
  /** Wall time of MCP tool calls (queue wait and a retry included), by `server`. */
  readonly mcpCallDuration = this.registry.histogram(
    'quorum_mcp_call_duration_seconds',
    'MCP tool call duration, by server.',
    [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120],
  );
  /** MCP server (re)starts after a failure, by `server`. */
  readonly mcpRestarts = this.registry.counter(
    'quorum_mcp_restarts_total',
    'MCP server restarts after a failure, by server.',
  );
  /** 1 while an MCP server is connected and its catalogue is usable, else 0; by `server`. */
  readonly mcpServerUp = this.registry.gauge(
    'quorum_mcp_server_up',
    'Whether the MCP server is connected (1) or not (0), by server.',
  );
  /** Tools an MCP server offers after its include/exclude filters, by `server`. */
  readonly mcpTools = this.registry.gauge(
    'quorum_mcp_tools',
    'Tools the MCP server offers (after filters), by server.',
  );

  /** Time automatic memory recall added to a turn (embedding the query included). */
  readonly memoryRecall = this.registry.histogram(
    'quorum_memory_recall_seconds',
    'Time automatic memory recall added to a turn.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  /** Memory operations, by `op` (add, update, delete, search, extract) and `origin`. */
  readonly memoryOperations = this.registry.counter(
    'quorum_memory_operations_total',
    'Memory operations, by op.',
  );
  /** Knowledge files handled by indexing, by `base` and `outcome` (indexed, skipped, removed). */
  readonly knowledgeFiles = this.registry.counter(
    'quorum_knowledge_files_total',
    'Knowledge files handled by indexing, by base and outcome (indexed, skipped, removed).',
  );
  /** Embedding calls that failed after retries (search fell back to keywords). */
  readonly embedderFailures = this.registry.counter(
    'quorum_embedder_failures_total',
    'Embedding calls that failed after retries; search fell back to keywords.',
  );
  /** Turns running now, by `room` (a series is removed when its room has none). */
  readonly turnsRunning = this.registry.gauge(
    'quorum_turns_running',
    'Turns running now, by room.',
  );
  /** Turns waiting behind the load caps, by `room` (removed when its queue is empty). */
  readonly turnsQueued = this.registry.gauge(
    'quorum_turns_queued',
    'Turns waiting behind the per-person and per-room caps, by room.',
  );
  /** What happened to claimed turns at admission: `started`, `queued` or `refused` (queue full). */
  readonly turnAdmissions = this.registry.counter(
    'quorum_turn_admissions_total',
    'Claimed turns at admission, by outcome (started, queued, refused).',
  );
  /** Turns that started running (at once, or later from a room's queue). */
  readonly turnsStarted = this.registry.counter(
    'quorum_turns_started_total',
    'Turns that started running (at once or from the queue).',
  );
  /** Requests dropped by the per-person rate limit. */
  readonly requestsRateLimited = this.registry.counter(
    'quorum_requests_rate_limited_total',
    'Requests dropped by the per-person rate limit.',
  );
  /**
   * How late the event loop ran a timer that was due (sampled every 20 ms; see
   * `startEventLoopMonitor`). Its quantiles over a window are the daemon's responsiveness.
   */
  readonly eventLoopDelay = this.registry.histogram(
    'quorum_event_loop_delay_seconds',
    'Event loop delay: how late a timer due every 20 ms ran.',
    [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
  );

  onTaskFailed(what: string): void {
    this.errors.inc({ where: what });
  }
}
