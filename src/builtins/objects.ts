import type { BuiltinFamily } from './common.js';
export const objectBuiltins: BuiltinFamily = {};
