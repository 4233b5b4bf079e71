import type { BuiltinFamily } from './common.js';
export const regexBuiltins: BuiltinFamily = {};
