export type Brand<T, B extends string> = T & { readonly __brand: B };
export const hello = (x: number): string => `hi ${x}`;
