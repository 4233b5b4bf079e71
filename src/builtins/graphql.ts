import type { BuiltinFamily } from './common.js';
export const graphqlBuiltins: BuiltinFamily = {};
