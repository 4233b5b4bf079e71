import type { BuiltinFamily } from './common.js';
export const timeBuiltins: BuiltinFamily = {};
