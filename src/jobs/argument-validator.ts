import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';

// ajv-formats is CommonJS whose default export TypeScript sees as the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

/** One problem with the arguments, located by a JSON pointer into the request body. */
export interface ArgumentProblem {
  pointer: string;
  message: string;
}

/**
 * Checks tool arguments against the tool's `inputSchema` before any call goes upstream, so a
 * client learns what is wrong from a 400 rather than from a failed job. Validators are compiled
 * once per tool object (a refreshed tool list brings new objects). A schema that does not compile
 * is not enforced: the upstream remains the judge, and the operator is told once.
 */
export class ArgumentValidator {
  readonly #draft7 = new Ajv({ allErrors: true, strict: false });
  readonly #draft2020 = new Ajv2020({ allErrors: true, strict: false });
  readonly #compiled = new WeakMap<Tool, ValidateFunction | null>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
    addFormats(this.#draft7);
    addFormats(this.#draft2020);
  }

  /** Throws INVALID_ARGUMENTS listing every problem, each with its JSON pointer. */
  check(server: string, tool: Tool, args: Record<string, unknown>): void {
    const validate = this.#validator(server, tool);
    if (!validate || validate(args)) return;
    const errors = (validate.errors ?? []).map(toProblem);
    throw new GatewayError(
      'INVALID_ARGUMENTS',
      errors.map((e) => `${e.pointer} ${e.message}`).join('; '),
      { extensions: { errors } },
    );
  }

  #validator(server: string, tool: Tool): ValidateFunction | null {
    let validate = this.#compiled.get(tool);
    if (validate !== undefined) return validate;
    const schema = tool.inputSchema as { $schema?: unknown };
    const ajv =
      typeof schema.$schema === 'string' && schema.$schema.includes('2020-12')
        ? this.#draft2020
        : this.#draft7;
    try {
      validate = ajv.compile(tool.inputSchema);
    } catch (error) {
      this.#log.warn(
        { err: error, upstream: server, tool: tool.name },
        'the tool inputSchema does not compile; its arguments are not checked by the gateway',
      );
      validate = null;
    }
    this.#compiled.set(tool, validate);
    return validate;
  }
}

function toProblem(error: ErrorObject): ArgumentProblem {
  let pointer = `/arguments${error.instancePath}`;
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  if (property !== undefined) pointer += `/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not an allowed property'
        : (error.message ?? 'is invalid');
  return { pointer, message };
}
