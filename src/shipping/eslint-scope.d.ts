/** The small part of eslint-scope's API that Barn uses (the package ships no types). */
declare module "eslint-scope" {
  /** A use of an identifier. */
  export interface Reference {
    readonly identifier: { readonly name: string; readonly start: number };
  }
  /** A lexical scope. `through` holds the references it could not resolve itself. */
  export interface Scope {
    readonly through: readonly Reference[];
  }
  export interface ScopeManager {
    readonly globalScope: Scope | null;
  }
  export interface AnalyzeOptions {
    ecmaVersion?: number;
    sourceType?: "script" | "module" | "commonjs";
    ignoreEval?: boolean;
  }
  /** Analyse the scopes of an ESTree program (acorn's output). */
  export function analyze(ast: object, options?: AnalyzeOptions): ScopeManager;
}
