import type { BuiltinFamily } from './common.js';
export const miscBuiltins: BuiltinFamily = {};
