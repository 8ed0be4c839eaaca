// Hazards: the findings that make a program fail under spawn, which hold back the fixes that
// would move it there (see Transform.hazard).

/** A finding that makes the program fail under spawn, by code and line. */
export interface Hazard {
  code: string;
  line: number;
}

/** The end of the message of a finding whose fix the hazards hold back. */
export function heldBack(hazards: Hazard[]): string {
  const first = hazards[0];
  const more = hazards.length > 1 ? ` and ${hazards.length - 1} more` : "";
  return `; not fixed, since under spawn the program would fail (${first.code} on line ${first.line}${more})`;
}
