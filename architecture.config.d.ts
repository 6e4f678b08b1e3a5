// Types of architecture.config.js (plain JS so eslint.config.js can import it).
export declare const FOLDER_RANKS: Readonly<Record<string, number>>;
export declare const SDK_HOMES: readonly {
  readonly name: string;
  readonly homes: readonly string[];
  readonly message: string;
}[];
export declare const MAX_FUNCTION_LINES: number;
export declare const MAX_ORCHESTRATOR_LINES: number;
export declare const TURN_CLAIM_HOME: string;
