export type Violation = { policy: string; object: string; message: string };

export function violation(policy: string, object: string, message: string): Violation {
  return { policy, object, message };
}
