/**
 * What one upstream tool call reports besides its result, whichever protocol generation or
 * execution mode (plain request or task) carries it. The job layer implements these; the
 * upstream layer calls them only for notifications and requests it can tie to this call.
 */

/** One `notifications/progress` for the call's progress token. */
export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
}

/** One `notifications/message` tied to the call. */
export interface LogMessage {
  level: string;
  logger: string | null;
  data: unknown;
}

/** A task's status as MCP names it (both protocol generations use these five). */
export type UpstreamTaskStatus =
  'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** The call runs as an upstream task: created, or its status or status text changed. */
export interface TaskUpdate {
  /** The upstream's task id. */
  id: string;
  status: UpstreamTaskStatus;
  /** The upstream's latest human-readable status text, if it gave one. */
  statusMessage: string | null;
}

/** An upstream's question for the person (elicitation, form or URL mode). */
export interface InputRequest {
  mode: 'form' | 'url';
  message: string;
  /** Form mode: the restricted JSON Schema (flat object of primitive fields) of the answer. */
  requestedSchema?: Record<string, unknown>;
  /** URL mode: where the person should go. */
  url?: string;
  /** URL mode: the upstream's own id for the elicitation. */
  elicitationId?: string;
}

/** The answer sent back upstream for an InputRequest. */
export interface InputAnswer {
  action: 'accept' | 'decline' | 'cancel';
  /** With `accept` in form mode: the field values. */
  content?: Record<string, unknown>;
}

/** Where one call's notifications and requests go. */
export interface CallHandlers {
  onProgress(update: ProgressUpdate): void;
  onLog(message: LogMessage): void;
  /** Called when the call becomes a task and on every later change of its status or text. */
  onTask(update: TaskUpdate): void;
  /**
   * The upstream asks for input. The promise resolves with the answer to send upstream; when
   * `signal` aborts (the call ended, was cancelled or hit a deadline) the upstream layer answers
   * `cancel` itself and the job layer drops the request.
   */
  onInputRequest(request: InputRequest, signal: AbortSignal): Promise<InputAnswer>;
}
