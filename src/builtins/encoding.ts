import type { BuiltinFamily } from './common.js';
export const encodingBuiltins: BuiltinFamily = {};
