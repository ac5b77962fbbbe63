// asl-validator 4.0.0 ships no type declarations. This covers the default export as the tests use it.
// Note: the validator MUTATES its input (it adds QueryLanguage to every state); pass a structuredClone.
declare module 'asl-validator' {
  namespace aslValidator {
    interface ValidationError {
      'Error code': string;
      Message: string;
      Location?: string;
    }
    interface Options {
      /** Check JSONPath fields (default true). */
      checkPaths?: boolean;
      /** Check that Task Resources are ARNs (default true). */
      checkArn?: boolean;
    }
    interface Result {
      isValid: boolean;
      errors: ValidationError[];
      errorsText(separator?: string): string;
    }
  }
  function aslValidator(definition: unknown, options?: aslValidator.Options): aslValidator.Result;
  export = aslValidator;
}
