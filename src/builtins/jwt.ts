import type { BuiltinFamily } from './common.js';
export const jwtBuiltins: BuiltinFamily = {};
