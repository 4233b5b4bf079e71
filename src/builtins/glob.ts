import type { BuiltinFamily } from './common.js';
export const globBuiltins: BuiltinFamily = {};
