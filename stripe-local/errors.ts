// Errors in Stripe's wire shape `{ error: { type, code, message, param, ... } }`.
// The HTTP status decides which class the SDK throws (400/404 → StripeInvalidRequestError,
// 402 → StripeCardError, 429 → StripeRateLimitError, 401 → StripeAuthenticationError,
// 5xx → StripeAPIError, 400 + type idempotency_error → StripeIdempotencyError).

export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  /**
   * Stripe saves an idempotent result only once an endpoint has started executing:
   * a request rejected by parameter validation can be retried with the same key.
   */
  readonly savedForIdempotency: boolean;

  constructor(status: number, body: StripeErrorBody, savedForIdempotency = true) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.savedForIdempotency = savedForIdempotency;
  }
}

function withDocUrl(body: StripeErrorBody): StripeErrorBody {
  return body.code ? { ...body, doc_url: `https://stripe.com/docs/error-codes/${body.code.replace(/_/g, '-')}` } : body;
}

const invalid = (message: string, extra: Partial<StripeErrorBody> = {}, status = 400, saved = true) =>
  new ApiError(status, withDocUrl({ type: 'invalid_request_error', message, ...extra }), saved);

export const errors = {
  missingParam: (param: string) =>
    invalid(`Missing required param: ${param}.`, { code: 'parameter_missing', param }, 400, false),
  unknownParam: (param: string) =>
    // Stripe's message, plus a hint: the parameter may be real but not implemented by this fake.
    invalid(`Received unknown parameter: ${param} (not implemented by stripe-local)`, { code: 'parameter_unknown', param }, 400, false),
  invalidInteger: (param: string, value: unknown) =>
    invalid(`Invalid integer: ${String(value)}`, { code: 'parameter_invalid_integer', param }, 400, false),
  invalidBoolean: (param: string, value: unknown) =>
    invalid(`Invalid boolean: ${String(value)}`, { param }, 400, false),
  invalidString: (param: string) =>
    invalid(`Invalid string: ${param} must be a string`, { param }, 400, false),
  invalidArray: (param: string) => invalid(`Invalid array`, { param }, 400, false),
  invalidHash: (param: string) => invalid(`Invalid hash`, { param }, 400, false),
  invalidValue: (param: string, message: string) => invalid(message, { param }, 400, false),
  emptyString: (param: string) =>
    invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      { code: 'parameter_invalid_empty', param },
      400,
      false,
    ),
  /** A request the fake does not model: fail loudly instead of silently differing from Stripe. */
  unsupported: (param: string, what: string) =>
    invalid(`stripe-local does not support ${what}.`, { param }, 400, false),
  invalidRequest: (message: string, extra: Partial<StripeErrorBody> = {}) => invalid(message, extra),
  /** Object named in the URL → 404; object named in a parameter → 400 with that param. */
  noSuch: (kind: string, id: string, param?: string) =>
    invalid(`No such ${kind}: '${id}'`, { code: 'resource_missing', param: param ?? 'id' }, param ? 400 : 404),
  unrecognizedUrl: (method: string, path: string) =>
    invalid(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      {},
      404,
      false,
    ),
  noApiKey: () =>
    invalid(
      'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').',
      {},
      401,
      false,
    ),
  invalidApiKey: (key: string) =>
    invalid(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, {}, 401, false),
  card: (code: string, declineCode: string | null, message: string, extra: Partial<StripeErrorBody> = {}) =>
    new ApiError(402, withDocUrl({ type: 'card_error', code, ...(declineCode ? { decline_code: declineCode } : {}), message, ...extra })),
  idempotency: (message: string) => new ApiError(400, { type: 'idempotency_error', message }, false),
  rateLimit: () =>
    new ApiError(
      429,
      withDocUrl({
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      }),
      false,
    ),
  api: (message = 'An unknown error occurred') => new ApiError(500, { type: 'api_error', message }, false),
};
