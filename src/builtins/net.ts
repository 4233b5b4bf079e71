import type { BuiltinFamily } from './common.js';
export const netBuiltins: BuiltinFamily = {};
