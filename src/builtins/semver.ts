import type { BuiltinFamily } from './common.js';
export const semverBuiltins: BuiltinFamily = {};
