// How a file is treated: the mode and start method from the command line and configuration.
export type Mode = "auto" | "app" | "lib";
export type StartMethod = "spawn" | "forkserver";

/** Why a file's migration unit is not safe (src/fix/units.ts): the obligation and its reason. */
export interface UnitBlock {
  obligation: "member" | "bootstrap" | "whole";
  reason: string;
}

export interface Options {
  mode: Mode;
  method: StartMethod;
  /** Where a mode other than auto came from, for the report (default: the --mode flag). */
  modeFrom?: string;
  /** Codes whose transforms do not run for this file ([tool.spawnsafe] ignore). */
  ignore?: string[];
  /** Apply unsafe fixes too (--unsafe-fixes); by default only safe ones are applied. */
  unsafeFixes?: boolean;
  /** Set by the engine when a file is fixed again with its switch unit held back (src/fix/units.ts). */
  unitBlock?: UnitBlock;
}
