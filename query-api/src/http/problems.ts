// Machine-readable error bodies: every non-2xx answer has this shape.
export interface Problem {
  readonly error: string;
  readonly message: string;
  readonly details?: readonly { readonly field: string; readonly problem: string }[];
}

export const problemSchema = {
  $id: "Problem",
  type: "object",
  required: ["error", "message"],
  properties: {
    error: {
      type: "string",
      description:
        "Stable code: BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, NOT_YET_VISIBLE",
    },
    message: { type: "string" },
    details: {
      type: "array",
      items: {
        type: "object",
        required: ["field", "problem"],
        properties: { field: { type: "string" }, problem: { type: "string" } },
      },
    },
  },
} as const;

export const badRequest = (field: string, problem: string): Problem => ({
  error: "BAD_REQUEST",
  message: `${field}: ${problem}`,
  details: [{ field, problem }],
});
