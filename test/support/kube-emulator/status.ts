// API errors as the API server sends them: a `Status` object with reason, code and details
// (staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go). Handlers throw ApiError; the server
// turns it into the response.

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: object[] };
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
    /** extra response headers, e.g. Retry-After on 429 */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `nodes`, or `nodecertificatereports.certdrift.io` (schema.GroupResource.String()) */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

// errors.NewNotFound: `<resource> "<name>" not found`
export const notFound = (group: string, resource: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });

// errors.NewAlreadyExists
export const alreadyExists = (group: string, resource: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });

// errors.NewConflict with the storage layer's OptimisticLockErrorMsg
export const conflict = (group: string, resource: string, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: resource },
  );

// errors.NewInvalid: `<Kind>.<group> "<name>" is invalid: <field>: <detail>`
export const invalid = (
  kind: string,
  group: string,
  name: string,
  causes: { field: string; message: string }[],
): ApiError =>
  new ApiError(
    422,
    'Invalid',
    `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
    {
      name,
      group,
      kind,
      causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })),
    },
  );

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource`,
    {
      causes: [{ message: method }],
    },
  );

// handlers/patch.go: the patch types a resource accepts
export const unsupportedPatch = (contentType: string, accepted: string[]): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] },
  );
