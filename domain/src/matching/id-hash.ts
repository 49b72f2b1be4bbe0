// Hashing of order ids, computed once per input and carried along (ADR 030).
//
// FNV-1a is unseeded. That is fine here: order ids are minted by the command
// side, not chosen by clients, so nobody can aim collisions at the tables.

export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
