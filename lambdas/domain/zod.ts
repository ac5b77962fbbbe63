// The one way lambdas/ reaches zod: zod/mini, the tree-shakable build of zod 4 (a handler's bundle carries only the
// schemas and checks it uses, not the whole classic API), set up as classic zod sets itself up on import: English
// messages (they reach callers as error details) and the memoizer (parsing input with reference cycles). It is
// configured here, before any schema is made (the memoizer is read when a schema is constructed). Only the English
// locale is imported: `z.locales` would bring every locale into the bundles.
// Schema modules import zod as `import * as z from '../domain/zod.ts'`; the dependency rule (.dependency-cruiser.cjs,
// "lambdas-use-zod-mini-through-domain-zod") refuses any other zod import under lambdas/.
import { config, memoizer } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config({ ...en(), memoizer: memoizer() });

export * from 'zod/mini';
